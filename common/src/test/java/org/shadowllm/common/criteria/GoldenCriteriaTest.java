package org.shadowllm.common.criteria;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.shadowllm.common.Golden;
import org.shadowllm.common.checkpoint.OptCheckpoint;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.tokenizer.ByteLevelBpeTokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.flatten;

/**
 * Checks the tokenizer, model and criteria on tiny-random-opt against Hugging Face transformers'
 * float64 values in shared/golden, once computing in fp32 (production) and once in fp64 (exact math).
 */
class GoldenCriteriaTest {

    /**
     * The golden file's neuron l2norm, nwot, snip and fisher are not per-neuron: its generator reduced
     * token 0's activations over the neuron axis and repeated that per layer. Those four are checked
     * per neuron against the brute-force reference (RandomShapeCriteriaTest), and here by reproducing
     * the golden layer values from our own token-0 activations and gradients.
     */
    static final Set<ImportanceCriterion> GOLDEN_NEURON_TOKEN0 = EnumSet.of(ImportanceCriterion.L2NORM,
            ImportanceCriterion.NWOT, ImportanceCriterion.SNIP, ImportanceCriterion.FISHER);

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Fp32 extends Checks {
        Fp32() {
            super(DataType.FLOAT32, 1e-3, 1e-6);
        }
    }

    /** fp64 still differs from golden at ~1e-5: transformers' eager OPT attention does its softmax in fp32. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Fp64 extends Checks {
        Fp64() {
            super(DataType.FLOAT64, 1e-4, 1e-7);
        }
    }

    /**
     * Examples where some FFN pre-activation has a different sign in fp32 than in fp64: a ReLU
     * near-tie. The gradient through that one gate changes every upstream gradient, so no fp32
     * computation can match fp64 references there; forward values still must.
     */
    static Set<Integer> reluNearTies(OptModel fp32, OptModel fp64, List<ScoredExample> examples) {
        Set<Integer> out = new java.util.TreeSet<>();
        for (int i = 0; i < examples.size(); i++) {
            if (!java.util.Arrays.equals(reluGates(fp32, examples.get(i)), reluGates(fp64, examples.get(i)))) {
                out.add(i);
            }
        }
        return out;
    }

    private static boolean[] reluGates(OptModel model, ScoredExample example) {
        List<Boolean> gates = new ArrayList<>();
        try (NDManager scope = model.weights().manager().newSubManager()) {
            TokenBatch b = new TokenBatch(List.of(example), model.config(), scope, model.dataType());
            model.forward(scope, b.inputIds, new org.shadowllm.common.model.LayerTap() {
                @Override
                public NDArray ffnActivation(int layer, NDArray act, NDArray input) {
                    for (boolean on : act.gt(0).toBooleanArray()) {
                        gates.add(on);
                    }
                    return act;
                }
            }, null);
        }
        boolean[] r = new boolean[gates.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = gates.get(i);
        }
        return r;
    }

    abstract static class Checks {
        private final DataType type;
        private final double rel;
        private final double abs;
        private NDManager manager;
        private OptModel model;
        private Golden golden;
        private ByteLevelBpeTokenizer tokenizer;
        private List<ScoredExample> examples;
        private List<ExampleImportance> results;
        private Set<Integer> nearTies;

        Checks(DataType type, double rel, double abs) {
            this.type = type;
            this.rel = rel;
            this.abs = abs;
        }

        @BeforeAll
        void computeAll() {
            manager = NDManager.newBaseManager(Device.cpu());
            model = OptCheckpoint.load(Golden.modelDir(), manager, Device.cpu(), type);
            golden = Golden.load();
            tokenizer = TokenizerLoader.load(Golden.modelDir(), model.config().bosTokenId());
            examples = golden.scoredExamples();
            results = new CriteriaCalculator(model).compute(examples, CriteriaOptions.singlePass().withLastLogits());
            if (type == DataType.FLOAT64) {
                nearTies = Set.of();
            } else {
                try (OptModel exact = OptCheckpoint.load(Golden.modelDir(), manager, Device.cpu(), DataType.FLOAT64)) {
                    nearTies = reluNearTies(model, exact, examples);
                }
            }
        }

        /** Gradient-based values are compared only where fp32 and fp64 take the same ReLU branches. */
        private boolean gradientComparable(int example) {
            return !nearTies.contains(example);
        }

        @Test
        void reluNearTiesAreRare() {
            assertTrue(nearTies.size() <= 1, "ReLU sign flips between fp32 and fp64 in examples " + nearTies);
        }

        @AfterAll
        void close() {
            golden.close();
            manager.close();
        }

        /** Absolute tolerance scaled by the vector's magnitude, so "near zero" means relative to its peers. */
        private void check(String what, double[] expected, double[] actual) {
            double scale = 1;
            for (double v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertClose(what, expected, actual, rel, abs * scale);
        }

        @Test
        void tokenizerReproducesGoldenIds() {
            for (Golden.Tokenization t : golden.tokenizations()) {
                assertArrayEquals(t.ids(), tokenizer.encodeWithBos(t.text()), "tokens of '" + t.text() + "'");
            }
        }

        @Test
        void contextAndContinuationTokenizedSeparatelyGiveGoldenInputs() {
            for (Golden.Example e : golden.examples()) {
                ScoredExample ex = ScoredExample.of(e.id(), tokenizer.encodeWithBos(e.context()),
                        tokenizer.encode(e.continuation()));
                assertArrayEquals(e.allTokens(), ex.tokens(), e.id());
                assertEquals(e.targetIds().length, ex.continuationLength(), e.id());
            }
        }

        @Test
        void lossAndTargetLogprobsMatchGolden() {
            List<Golden.Example> ex = golden.examples();
            for (int i = 0; i < ex.size(); i++) {
                ExampleImportance r = results.get(i);
                check(ex.get(i).id() + " loss", new double[] {ex.get(i).loss()}, new double[] {r.loss()});
                check(ex.get(i).id() + " target logprobs", golden.tensor(ex.get(i).tag() + "/target_logprobs"),
                        org.shadowllm.common.Tolerance.widen(r.targetLogprobs()));
            }
        }

        @Test
        void lastPositionLogitsMatchGolden() {
            List<Golden.Example> ex = golden.examples();
            for (int i = 0; i < ex.size(); i++) {
                check(ex.get(i).id() + " logits", golden.tensor(ex.get(i).tag() + "/logits_last"),
                        org.shadowllm.common.Tolerance.widen(results.get(i).lastLogits()));
            }
        }

        @Test
        void everyHeadCriterionMatchesGolden() {
            List<Golden.Example> ex = golden.examples();
            for (int i = 0; i < ex.size(); i++) {
                for (ImportanceCriterion c : ImportanceCriterion.SINGLE_PASS) {
                    if (!gradientComparable(i) && c != ImportanceCriterion.L2NORM && c != ImportanceCriterion.NWOT) {
                        continue;
                    }
                    check(ex.get(i).id() + " head " + c.key(), golden.tensor(ex.get(i).tag() + "/head/" + c.key()),
                            flatten(results.get(i).head(c)));
                }
            }
        }

        @Test
        void perNeuronWeightGradientCriteriaMatchGolden() {
            List<Golden.Example> ex = golden.examples();
            for (int i = 0; i < ex.size(); i++) {
                if (!gradientComparable(i)) {
                    continue;
                }
                for (ImportanceCriterion c : EnumSet.complementOf(EnumSet.copyOf(GOLDEN_NEURON_TOKEN0))) {
                    if (c == ImportanceCriterion.GRASP) {
                        continue;
                    }
                    check(ex.get(i).id() + " neuron " + c.key(), golden.tensor(ex.get(i).tag() + "/neuron/" + c.key()),
                            flatten(results.get(i).neuron(c)));
                }
            }
        }

        @Test
        void tokenZeroNeuronActivationsAndGradientsReproduceGoldenLayerValues() {
            int layers = model.config().numLayers();
            int ffn = model.config().ffnDim();
            List<Golden.Example> ex = golden.examples();
            for (int i = 0; i < ex.size(); i++) {
                try (NDManager scope = manager.newSubManager(); Autograd rec = Autograd.record()) {
                    TokenBatch b = new TokenBatch(List.of(examples.get(i)), model.config(), scope, type);
                    ProbeTap tap = new ProbeTap(scope, layers, false, null, null);
                    NDArray h = model.forward(scope, b.inputIds, tap, null);
                    Autograd.backward(b.loss(b.targetLogprobs(model, scope, h)), false, false);
                    for (int l = 0; l < layers; l++) {
                        double[] a = tap.activation[l].get(0).get(0).toType(DataType.FLOAT64, false).toDoubleArray();
                        double[] g = tap.neuronProbe[l].getGradient().get(0).get(0).toType(DataType.FLOAT64, false)
                                .toDoubleArray();
                        double sq = 0;
                        double off = 0;
                        double ag = 0;
                        double ag2 = 0;
                        for (int k = 0; k < ffn; k++) {
                            sq += a[k] * a[k];
                            off += a[k] <= 0 ? 1 : 0;
                            ag += a[k] * g[k];
                            ag2 += a[k] * g[k] * a[k] * g[k];
                        }
                        String tag = ex.get(i).tag();
                        String where = ex.get(i).id() + " layer " + l + " token-0 neuron ";
                        check(where + "l2norm", new double[] {golden.tensor(tag + "/neuron/l2norm")[l * ffn]},
                                new double[] {Math.sqrt(sq)});
                        check(where + "nwot", new double[] {golden.tensor(tag + "/neuron/nwot")[l * ffn]},
                                new double[] {Math.log(off / ffn + 1e-12)});
                        if (gradientComparable(i)) {
                            check(where + "snip", new double[] {golden.tensor(tag + "/neuron/snip")[l * ffn]},
                                    new double[] {Math.abs(ag)});
                            check(where + "fisher", new double[] {golden.tensor(tag + "/neuron/fisher")[l * ffn]},
                                    new double[] {ag2 / ffn});
                        }
                    }
                }
            }
        }

        @Test
        void predictorFeaturesMatchGolden() {
            List<Golden.Example> ex = golden.examples();
            for (int i = 0; i < ex.size(); i++) {
                String tag = ex.get(i).tag();
                check(ex.get(i).id() + " attn_context_last", golden.tensor(tag + "/features/attn_context_last"),
                        flatten(results.get(i).attnContextLast()));
                check(ex.get(i).id() + " residual_in_last", golden.tensor(tag + "/features/residual_in_last"),
                        flatten(results.get(i).residualInLast()));
            }
        }

        @Test
        void perplexityMatchesGolden() {
            var p = golden.json.getAsJsonObject("perplexity");
            double ppl = new LoglikelihoodScorer(model).perplexity(Golden.ints(p.getAsJsonArray("token_ids")),
                    p.get("window").getAsInt(), p.get("bos_per_window").getAsBoolean(), 4);
            check("perplexity", new double[] {p.get("ppl").getAsDouble()}, new double[] {ppl});
        }
    }
}
