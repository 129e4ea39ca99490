package org.shadowllm.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.SyntheticImportance;

/** A rounded predictor's drift from fp32: plan agreement and score error against loops over the scores. */
class PrecisionMetricsTest {
    private static final PredictorShape SHAPE = new PredictorShape(2, 4, 32, 8);
    private static final List<ImportanceRecord> RECORDS = SyntheticImportance.records(SHAPE, 70, 5);

    private static List<NetworkWeights> networks(PredictorKind kind) {
        return RandomPredictors.of(kind, SHAPE, 16, 9).networks();
    }

    private static EvaluationRows rows(List<NetworkWeights> networks) {
        return EvaluationRows.of(networks.stream().map(NetworkWeights::spec).toList(), SHAPE, RECORDS);
    }

    /** w2 with gaussian noise of {@code sigma} added: a network whose scores differ a little. */
    private static List<NetworkWeights> perturbed(List<NetworkWeights> networks, double sigma) {
        SplittableRandom r = new SplittableRandom(17);
        List<NetworkWeights> out = new ArrayList<>();
        for (NetworkWeights w : networks) {
            float[] w2 = w.w2().clone();
            for (int i = 0; i < w2.length; i++) {
                w2[i] += (float) (sigma * r.nextGaussian());
            }
            out.add(new NetworkWeights(w.spec(), w.w1(), w.b1(), w2, w.b2()));
        }
        return out;
    }

    @Test
    void fp32AgainstItselfKeepsEveryUnitAndMovesNoScore() {
        List<NetworkWeights> n = networks(PredictorKind.SHADOWLLM);
        PrecisionMetrics m = PrecisionMetrics.evaluate(n, PredictorPrecision.FP32, SHAPE, rows(n), Device.cpu());
        for (PrecisionMetrics.Drift d : List.of(m.heads(), m.neurons())) {
            assertEquals(1, d.planAgreement(), 0);
            assertEquals(0, d.scoreError(), 0);
        }
        assertEquals(PredictorEvaluator.evaluate(n, SHAPE, rows(n), Device.cpu()), m.rounded());
    }

    @Test
    void aPerturbedNetworksDriftEqualsLoopsOverItsScores() {
        for (PredictorKind kind : List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU)) {
            List<NetworkWeights> reference = networks(kind);
            List<NetworkWeights> other = perturbed(reference, 0.05);
            PrecisionMetrics.Drift[] drift =
                    PrecisionMetrics.compare(reference, other, SHAPE, rows(reference), Device.cpu());
            float[][][] a = PredictorEvaluator.predict(reference, SHAPE, RECORDS, Device.cpu());
            float[][][] b = PredictorEvaluator.predict(other, SHAPE, RECORDS, Device.cpu());
            int[] perLayer = {SHAPE.heads(), SHAPE.ffn()};
            for (int u = 0; u < 2; u++) {
                double agreement = 0;
                double error = 0;
                int errorLayers = 0;
                for (int e = 0; e < RECORDS.size(); e++) {
                    for (int l = 0; l < SHAPE.layers(); l++) {
                        agreement += bruteAgreement(a[u][e], b[u][e], l * perLayer[u], perLayer[u]);
                        double max = Double.NEGATIVE_INFINITY;
                        double min = Double.POSITIVE_INFINITY;
                        for (int j = l * perLayer[u]; j < (l + 1) * perLayer[u]; j++) {
                            max = Math.max(max, a[u][e][j]);
                            min = Math.min(min, a[u][e][j]);
                        }
                        double range = max - min;
                        double moved = 0;
                        for (int j = l * perLayer[u]; j < (l + 1) * perLayer[u]; j++) {
                            moved += Math.abs(b[u][e][j] - a[u][e][j]);
                        }
                        error += moved / perLayer[u] / range;
                        errorLayers++;
                    }
                }
                agreement /= RECORDS.size() * SHAPE.layers();
                error /= errorLayers;
                String what = kind + (u == 0 ? " heads" : " neurons");
                assertEquals(agreement, drift[u].planAgreement(), 1e-9, what + " plan agreement");
                assertEquals(error, drift[u].scoreError(), 1e-6 * error, what + " score error");
                assertTrue(drift[u].planAgreement() < 1, what + " a perturbed network keeps other units");
                assertTrue(drift[u].scoreError() > 0, what + " moves scores");
            }
        }
    }

    /** Top half (at least one) of a layer by score, ties to the lower index: the fraction of a's that b keeps. */
    private static double bruteAgreement(float[] a, float[] b, int off, int n) {
        int k = (int) Math.max(1, Math.round(PredictorEvaluator.KEEP * n));
        List<Integer> keptA = top(a, off, n, k);
        List<Integer> keptB = top(b, off, n, k);
        return keptA.stream().filter(keptB::contains).count() / (double) k;
    }

    private static List<Integer> top(float[] v, int off, int n, int k) {
        return IntStream.range(0, n)
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -v[off + i]).thenComparing(i -> i))
                .limit(k)
                .toList();
    }

    @Test
    void int8KeepsMostOfTheFp32PlanAndNamesItsMetricsByPrecision() {
        List<NetworkWeights> n = networks(PredictorKind.SHADOWLLM);
        PrecisionMetrics m = PrecisionMetrics.evaluate(n, PredictorPrecision.INT8, SHAPE, rows(n), Device.cpu());
        assertTrue(m.heads().planAgreement() > 0.8 && m.heads().planAgreement() <= 1, m.toString());
        assertTrue(m.neurons().scoreError() > 0 && m.neurons().scoreError() < 0.05, m.toString());
        Map<String, Double> map = m.asMap();
        assertEquals(m.heads().planAgreement(), map.get("int8.heads.plan_agreement50"));
        assertEquals(m.neurons().scoreError(), map.get("int8.neurons.score_error_of_range"));
        assertEquals(m.rounded().heads().rhoLayerMean(), map.get("int8.heads.rho_layer_mean"));
    }
}
