package org.shadowllm.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorDesign;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.trainer.data.ExampleSplit;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.SyntheticImportance;
import org.shadowllm.trainer.eval.PredictorEvaluator;
import org.shadowllm.trainer.eval.PredictorMetrics;

class PredictorTrainingTest {
    private static final PredictorShape SHAPE = new PredictorShape(3, 12, 48, 16);
    private static final List<ImportanceRecord> TABLE = SyntheticImportance.records(SHAPE, 800, 7);
    private static final ExampleSplit SPLIT = ExampleSplit.of(TABLE, 11, 0.2);

    private static TrainedPredictor train(PredictorKind kind, TrainingOptions options, List<String> log) {
        return new PredictorTrainer(options, log::add).train(kind, SHAPE, SPLIT.train(), Device.cpu());
    }

    private static TrainingOptions options(int epochs, int hidden) {
        return new TrainingOptions(epochs, 32, 1e-3, 0.01, 0.9, 0.999, 1e-8, 5, PredictorDesign.ofHidden(hidden), 10);
    }

    @Test
    void shadowllmPredictorLearnsAKnownFunctionWithHeldOutRankCorrelationAbove095() {
        List<String> log = new ArrayList<>();
        TrainedPredictor p = train(PredictorKind.SHADOWLLM, options(100, 256), log);
        PredictorMetrics m = PredictorEvaluator.evaluate(p.networks(), SHAPE, SPLIT.heldOut(), Device.cpu());
        System.out.println("shadowllm held-out: " + m);
        assertTrue(m.heads().rhoLayerMean() > 0.95, m.toString());
        assertTrue(m.neurons().rhoLayerMean() > 0.95, m.toString());
        assertTrue(m.heads().rhoGlobal() > 0.95, m.toString());
        assertTrue(m.neurons().rhoGlobal() > 0.95, m.toString());
        assertTrue(m.neurons().recallLayerMean() > 0.85, m.toString());
        assertTrue(
                log.get(0).contains("epoch 1/100") && log.get(log.size() - 1).contains("epoch 100/100"),
                log.toString());
    }

    @Test
    void dejavuPredictorsLearnTheSameFunctionLayerByLayer() {
        TrainedPredictor p = train(PredictorKind.DEJAVU, options(100, 64), new ArrayList<>());
        assertEquals(2 * SHAPE.layers(), p.networks().size());
        PredictorMetrics m = PredictorEvaluator.evaluate(p.networks(), SHAPE, SPLIT.heldOut(), Device.cpu());
        System.out.println("dejavu held-out: " + m);
        assertTrue(m.heads().rhoLayerMean() > 0.95, m.toString());
        assertTrue(m.neurons().rhoLayerMean() > 0.95, m.toString());
    }

    @Test
    void theSplitShadowllmDesignTrainsHeadsAndNeuronsAsTwoNetworks() {
        TrainedPredictor p = train(PredictorKind.SHADOWLLM_SPLIT, options(100, 256), new ArrayList<>());
        assertEquals(2, p.networks().size());
        assertEquals(SHAPE.layers() * SHAPE.heads(), p.networks().get(0).spec().outputs());
        assertEquals(64, p.networks().get(1).spec().hidden());
        PredictorMetrics m = PredictorEvaluator.evaluate(p.networks(), SHAPE, SPLIT.heldOut(), Device.cpu());
        System.out.println("shadowllm-split held-out: " + m);
        assertTrue(m.heads().rhoLayerMean() > 0.95, m.toString());
        assertTrue(m.neurons().rhoLayerMean() > 0.95, m.toString());
    }

    @Test
    void aBlockGranularNeuronNetworkPredictsOneScorePerBlockAndRanksBlocksWell() {
        TrainingOptions blocks =
                new TrainingOptions(100, 32, 1e-3, 0.01, 0.9, 0.999, 1e-8, 5, new PredictorDesign(256, 64, 4), 10);
        TrainedPredictor p = train(PredictorKind.SHADOWLLM_SPLIT, blocks, new ArrayList<>());
        assertEquals(64, p.networks().get(1).spec().hidden());
        assertEquals(
                SHAPE.layers() * SHAPE.ffn() / 4, p.networks().get(1).spec().outputs());
        float[][] neurons = PredictorEvaluator.predict(p.networks(), SHAPE, SPLIT.heldOut(), Device.cpu())[1];
        for (int k = 0; k < neurons[0].length; k++) {
            assertEquals(neurons[0][k - k % 4], neurons[0][k], "neuron " + k + " has its block's score");
        }
        PredictorMetrics m = PredictorEvaluator.evaluate(p.networks(), SHAPE, SPLIT.heldOut(), Device.cpu());
        System.out.println("shadowllm-split, blocks of 4, held-out: " + m);
        assertTrue(m.neurons().rhoLayerMean() > 0.9, m.toString());
    }

    @Test
    void anUntrainedPredictorDoesNotPassTheSameBar() {
        TrainedPredictor p = train(PredictorKind.SHADOWLLM, options(1, 256).withEpochs(1), new ArrayList<>());
        PredictorMetrics m = PredictorEvaluator.evaluate(p.networks(), SHAPE, SPLIT.heldOut(), Device.cpu());
        System.out.println("one epoch, held-out: " + m);
        assertTrue(m.neurons().rhoLayerMean() < 0.95, m.toString());
    }

    @Test
    void theSameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot() {
        TrainedPredictor a = train(PredictorKind.SHADOWLLM, options(3, 64), new ArrayList<>());
        TrainedPredictor b = train(PredictorKind.SHADOWLLM, options(3, 64), new ArrayList<>());
        TrainingOptions other =
                new TrainingOptions(3, 32, 1e-3, 0.01, 0.9, 0.999, 1e-8, 6, PredictorDesign.ofHidden(64), 10);
        TrainedPredictor c = train(PredictorKind.SHADOWLLM, other, new ArrayList<>());
        NetworkWeights wa = a.networks().get(0);
        NetworkWeights wb = b.networks().get(0);
        assertArrayEquals(wa.w1(), wb.w1());
        assertArrayEquals(wa.w2(), wb.w2());
        assertArrayEquals(wa.b2(), wb.b2());
        assertFalse(java.util.Arrays.equals(wa.w2(), c.networks().get(0).w2()));
    }

    @Test
    void aDivergingRunStopsWithAClearError() {
        TrainingOptions explosive =
                new TrainingOptions(5, 32, 1e12, 0, 0.9, 0.999, 1e-8, 5, PredictorDesign.ofHidden(64), 10);
        TrainingDivergedException e = assertThrows(
                TrainingDivergedException.class, () -> train(PredictorKind.SHADOWLLM, explosive, new ArrayList<>()));
        assertTrue(e.getMessage().contains("loss became") && e.getMessage().contains("--lr"), e.getMessage());
    }

    @Test
    void aRecordWithANonFiniteScoreIsRejectedBeforeTraining() {
        List<ImportanceRecord> bad = new ArrayList<>(SPLIT.train());
        ImportanceRecord r = bad.get(0);
        float[] heads = r.heads().clone();
        heads[2] = Float.NaN;
        bad.set(
                0,
                new ImportanceRecord(
                        r.splitKey(),
                        r.task(),
                        r.shots(),
                        r.exampleId(),
                        r.attnContext(),
                        r.residualIn(),
                        heads,
                        r.neurons()));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new PredictorTrainer(options(1, 8), s -> {})
                        .train(PredictorKind.SHADOWLLM, SHAPE, bad, Device.cpu()));
        assertTrue(e.getMessage().contains("head scores[2] is NaN"), e.getMessage());
    }
}
