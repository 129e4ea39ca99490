package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.shadowllm.bench.eval.SequenceScorer;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.common.Golden;
import org.shadowllm.common.Tolerance;
import org.shadowllm.common.model.DecoderConfig;

/**
 * The decode engine, token by token in fp32, against the float64 golden values of every golden folder (each
 * family's independent reference implementation): the last input position's logits, every continuation
 * token's log-probability, and the predictor features the engine hands its planner at the last position.
 * Tolerances are GoldenCriteriaTest's for fp32.
 */
class EngineGoldenTest {
    private static final double REL = 1e-3;
    private static final double ABS = 1e-6;

    static Stream<String> models() {
        return Golden.models().stream();
    }

    /** What the planner saw at one position: {@code [layer][·]}. */
    private static final class Features implements TokenPlanner {
        final float[][] residual;
        final float[][] context;
        int token = -1;
        int keep;

        Features(DecoderConfig c, int keep) {
            residual = new float[c.numLayers()][];
            context = new float[c.numLayers()][];
            this.keep = keep;
        }

        @Override
        public void residualIn(int layer, float[] x) {
            if (layer == 0) {
                token++;
            }
            if (token == keep) {
                residual[layer] = x.clone();
            }
        }

        @Override
        public void attentionContext(int layer, float[] x) {
            if (token == keep) {
                context[layer] = x.clone();
            }
        }

        @Override
        public LayerPlan plan(int layer) {
            return null;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void logitsLogprobsAndFeaturesMatchGolden(String model) {
        EngineWeights w = EngineWeights.load(Golden.modelDir(model), WeightFormat.FP32);
        DecoderConfig c = w.config();
        try (Golden golden = Golden.load(model);
                WorkerPool pool = new WorkerPool(2)) {
            assertEquals(Golden.family(model), c.family().modelType(), "the family golden.json names");
            DecodeEngine engine = new DecodeEngine(w, pool);
            List<Golden.Example> examples = golden.examples();
            for (Golden.Example ex : examples) {
                int[] ids = ex.inputIds();
                int[] targets = ex.targetIds();
                int last = ids.length - 1;
                Features features = new Features(c, last);
                DecodeState state = engine.newState(ids.length);
                double[] logprobs = new double[targets.length];
                float[] logits = null;
                for (int t = 0; t < ids.length; t++) {
                    logits = engine.step(state, ids[t], features);
                    int j = t - (ids.length - targets.length);
                    if (j >= 0) {
                        logprobs[j] = SequenceScorer.logprob(logits, targets[j]);
                    }
                }
                String what = model + " " + ex.id();
                check(what + " logits", golden.tensor(ex.tag() + "/logits_last"), Tolerance.widen(logits));
                check(what + " target logprobs", golden.tensor(ex.tag() + "/target_logprobs"), logprobs);
                check(
                        what + " residual_in_last",
                        golden.tensor(ex.tag() + "/features/residual_in_last"),
                        Tolerance.flatten(features.residual));
                check(
                        what + " attn_context_last",
                        golden.tensor(ex.tag() + "/features/attn_context_last"),
                        Tolerance.flatten(features.context));
            }
        }
    }

    /** Absolute tolerance scaled by the vector's magnitude, as GoldenCriteriaTest does. */
    private static void check(String what, double[] expected, double[] actual) {
        double scale = Arrays.stream(expected).map(Math::abs).max().orElse(0);
        Tolerance.assertClose(what, expected, actual, REL, ABS * Math.max(1, scale));
    }
}
