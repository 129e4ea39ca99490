package org.shadowllm.common.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorDesignTest {
    private static final PredictorShape SHAPE = new PredictorShape(3, 4, 16, 8);

    @Test
    void theDefaultDesignGivesTheNetworksOfTheKindsOwnWidths() {
        for (PredictorKind kind : PredictorKind.values()) {
            assertEquals(kind.networks(SHAPE, 0), kind.networks(SHAPE, PredictorDesign.DEFAULT), kind.key());
        }
        List<NetworkSpec> split = PredictorKind.SHADOWLLM_SPLIT.networks(SHAPE, PredictorDesign.DEFAULT);
        assertEquals(2048, split.get(0).hidden());
        assertEquals(512, split.get(1).hidden());
        assertEquals(8, split.get(1).neuronBlock());
        assertEquals(3 * 16 / 8, split.get(1).outputs());
        assertEquals(
                1,
                PredictorKind.DEJAVU
                        .networks(SHAPE, PredictorDesign.DEFAULT)
                        .get(1)
                        .neuronBlock());
    }

    @Test
    void theSplitDefaultOfBlocksOf8FallsBackToOneScorePerNeuronWhere8DoesNotDivideTheFfn() {
        PredictorShape odd = new PredictorShape(2, 4, 20, 8);
        NetworkSpec neurons = PredictorKind.SHADOWLLM_SPLIT
                .networks(odd, PredictorDesign.DEFAULT)
                .get(1);
        assertEquals(1, neurons.neuronBlock());
        assertEquals(2 * 20, neurons.outputs());
        // an explicit block is never changed: it must divide
        assertThrows(
                IllegalArgumentException.class,
                () -> PredictorKind.SHADOWLLM_SPLIT.networks(odd, new PredictorDesign(0, 0, 8)));
    }

    @Test
    void headAndNeuronWidthsAreSetApartAndBlocksShrinkOnlyTheNeuronOutputs() {
        PredictorDesign d = new PredictorDesign(512, 256, 8);
        List<NetworkSpec> split = PredictorKind.SHADOWLLM_SPLIT.networks(SHAPE, d);
        assertEquals(512, split.get(0).hidden());
        assertEquals(3 * 4, split.get(0).outputs());
        assertEquals(256, split.get(1).hidden());
        assertEquals(3 * 16 / 8, split.get(1).outputs());
        assertEquals(d, PredictorDesign.of(split));
        // DejaVu: the attention predictors' rank and the MLP predictors' rank
        List<NetworkSpec> dejavu = PredictorKind.DEJAVU.networks(SHAPE, new PredictorDesign(512, 1000, 1));
        assertEquals(512, dejavu.get(0).hidden());
        assertEquals(1000, dejavu.get(1).hidden());
        assertEquals(
                8L * 512 + 512L * 4 + 8L * 1000 + 1000L * 16,
                dejavu.get(0).macs() + dejavu.get(1).macs());
        // the joint network scores heads and a block's neurons with one output each
        NetworkSpec joint = PredictorKind.SHADOWLLM
                .networks(SHAPE, new PredictorDesign(64, 0, 4))
                .get(0);
        assertEquals(3 * (4 + 16 / 4), joint.outputs());
    }

    @Test
    void aBlockThatDoesNotDivideTheFfnOrASecondWidthForOneNetworkIsRefused() {
        IllegalArgumentException block = assertThrows(
                IllegalArgumentException.class,
                () -> PredictorKind.SHADOWLLM_SPLIT.networks(SHAPE, new PredictorDesign(0, 0, 5)));
        assertTrue(block.getMessage().contains("divide the FFN width 16"), block.getMessage());
        IllegalArgumentException joint = assertThrows(
                IllegalArgumentException.class,
                () -> PredictorKind.SHADOWLLM.networks(SHAPE, new PredictorDesign(64, 32, 1)));
        assertTrue(joint.getMessage().contains("one network"), joint.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PredictorDesign(0, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> new PredictorDesign(-1, 0, 1));
    }

    @Test
    void gatheringTakesEachBlocksMeanAndScatteringGivesEveryNeuronItsBlocksScore() {
        NetworkSpec neurons = PredictorKind.SHADOWLLM_SPLIT
                .networks(SHAPE, new PredictorDesign(0, 0, 4))
                .get(1);
        SplittableRandom rnd = new SplittableRandom(3);
        float[] heads = new float[SHAPE.layers() * SHAPE.heads()];
        float[] table = new float[SHAPE.layers() * SHAPE.ffn()];
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) rnd.nextDouble();
        }
        float[] gathered = UnitLayout.gather(neurons, SHAPE, heads, table);
        assertEquals(SHAPE.layers() * SHAPE.ffn() / 4, gathered.length);
        for (int b = 0; b < gathered.length; b++) {
            double sum = 0;
            for (int k = 0; k < 4; k++) {
                sum += table[b * 4 + k];
            }
            assertEquals(sum / 4, gathered[b], 1e-6, "block " + b);
        }
        assertArrayEquals(gathered, UnitLayout.neuronBlocks(table, SHAPE.layers(), SHAPE.ffn(), 4));
        float[] back = new float[table.length];
        UnitLayout.scatter(neurons, SHAPE, gathered, 0, heads, back);
        for (int i = 0; i < back.length; i++) {
            assertEquals(gathered[i / 4], back[i], "neuron " + i);
        }
    }

    @Test
    void aPredictorWithItsOwnWidthsAndBlocksSavesAndLoadsAsItWasBuilt(@TempDir Path dir) {
        PredictorDesign d = new PredictorDesign(32, 16, 2);
        UnitPredictor p = RandomPredictors.of(PredictorKind.SHADOWLLM_SPLIT, SHAPE, d, 7);
        PredictorArtifacts.save(p, dir.resolve("p"));
        UnitPredictor back = PredictorArtifacts.load(dir.resolve("p"));
        assertEquals(d, back.design());
        assertEquals(p.manifest(), back.manifest());
        assertEquals(8L * 32 + 32L * 12 + 8L * 16 + 16L * 3 * 8, back.macsPerPrediction());
    }
}
