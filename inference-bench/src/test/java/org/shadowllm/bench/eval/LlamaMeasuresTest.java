package org.shadowllm.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.PlanFixtures;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptTokens;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;

/**
 * The bench's methods and measures on a Llama-family model through DJL's sparse model: every method's plans
 * score a sequence as the masked-dense model does under them, and perplexity and accuracy equal what the dense
 * DJL model computes on its own.
 */
class LlamaMeasuresTest {
    private static final String MODEL = "tiny-random-llama";
    /** BOS and GPT-2 text tokens (the shared Llama fixtures use GPT-2's vocabulary). */
    private static final int[] SEQUENCE = {50256, 464, 582, 6265, 465, 21189, 780, 339, 5710, 257, 15554, 290, 262, 3290
    };

    private static final int CONTEXT = 8;

    private static NDManager manager;
    private static DecoderModel model;
    private static SparseDecoderModel sparse;
    private static DecoderConfig config;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu());
        model = ModelCheckpoint.load(SharedPaths.model(MODEL), manager, Device.cpu());
        sparse = new SparseDecoderModel(model);
        config = model.config();
    }

    @AfterAll
    static void close() {
        sparse.close();
        model.close();
        manager.close();
    }

    private static PredictorRuntime predictor(PredictorKind kind) {
        PredictorArtifacts.save(RandomPredictors.of(kind, PredictorShape.of(config), 24, 5), dir.resolve(kind.key()));
        return PredictorRuntime.load(dir.resolve(kind.key()), config, MODEL, kind, manager);
    }

    /** Every method of the bench at half the heads and neurons; the predicted ones own their predictors. */
    private static List<SparsityMethod> methods(List<PredictorRuntime> predictors) {
        SparsityBudget perLayer = new SparsityBudget(0.5, SparsityBudget.Scope.PER_LAYER, 1, 1);
        SparsityBudget global = new SparsityBudget(0.5, SparsityBudget.Scope.GLOBAL, 1, 16);
        SplittableRandom r = new SplittableRandom(11);
        float[][] heads = new float[config.numLayers()][config.numHeads()];
        float[][] neurons = new float[config.numLayers()][config.ffnDim()];
        for (float[][] table : new float[][][] {heads, neurons}) {
            for (float[] layer : table) {
                for (int i = 0; i < layer.length; i++) {
                    layer[i] = (float) r.nextDouble();
                }
            }
        }
        PredictorRuntime dejavu = predictor(PredictorKind.DEJAVU);
        PredictorRuntime shadow = predictor(PredictorKind.SHADOWLLM);
        predictors.add(dejavu);
        predictors.add(shadow);
        return List.of(
                SparsityMethod.dense(config),
                SparsityMethod.staticMask(config, global, ImportanceCriterion.PLAINACT, heads, neurons),
                SparsityMethod.randomMask(config, perLayer, 3),
                SparsityMethod.oracle(config, perLayer, ImportanceCriterion.PLAINACT),
                SparsityMethod.predicted(Method.DEJAVU, config, perLayer, dejavu),
                SparsityMethod.predicted(Method.SHADOWLLM, config, global, shadow));
    }

    /** Sum of {@code log p(tokens[i] | tokens[..i])} over the last {@code scored} tokens, in the dense model under {@code tap}. */
    private static double maskedDenseLogLikelihood(int[] tokens, int scored, LayerTap tap) {
        long[] ids = Arrays.stream(tokens).asLongStream().toArray();
        try (NDManager s = manager.newSubManager();
                Autograd paused = Autograd.pause()) {
            NDArray hidden = model.forward(s, Tensors.of(s, ids, new Shape(1, ids.length)), tap, null);
            double[] logits = Tensors.doubles(model.logits(s, hidden));
            int vocab = config.vocabSize();
            double sum = 0;
            for (int t = tokens.length - scored; t < tokens.length; t++) {
                int row = (t - 1) * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) {
                    max = Math.max(max, logits[row + v]);
                }
                double z = 0;
                for (int v = 0; v < vocab; v++) {
                    z += Math.exp(logits[row + v] - max);
                }
                sum += logits[row + tokens[t]] - max - Math.log(z);
            }
            return sum;
        }
    }

    private static double maskedDenseLogLikelihood(int[] tokens, int scored, LayerPlan[] plans) {
        try (NDManager s = manager.newSubManager()) {
            return maskedDenseLogLikelihood(
                    tokens, scored, PlanFixtures.mask(config, plans).asTap(s, config));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-random-llama", "llama-mini-trained"})
    void theDenseSparseModelReproducesTransformersPerplexityOnTheGoldenWindows(String name) throws Exception {
        JsonObject p = JsonParser.parseString(
                        Files.readString(SharedPaths.root().resolve("golden/" + name + "/golden.json")))
                .getAsJsonObject()
                .getAsJsonObject("perplexity");
        JsonArray ids = p.getAsJsonArray("token_ids");
        int text = p.get("window").getAsInt() - 1;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel llama = ModelCheckpoint.load(SharedPaths.model(name), m, Device.cpu());
                SparseDecoderModel s = new SparseDecoderModel(llama)) {
            double nll = 0;
            long count = 0;
            for (int start = 0; start < ids.size(); start += text) {
                int end = Math.min(ids.size(), start + text);
                int[] seq = new int[end - start + 1];
                seq[0] = llama.config().bosTokenId();
                for (int i = start; i < end; i++) {
                    seq[i - start + 1] = ids.get(i).getAsInt();
                }
                nll -= SequenceScorer.sumLogprobs(m, s, seq, seq.length - 1, LayerPlanner.DENSE);
                count += seq.length - 1;
            }
            double ppl = Math.exp(nll / count);
            assertEquals(p.get("ppl").getAsDouble(), ppl, 1e-4 * ppl);
        }
    }

    @Test
    void everyMethodsPlansScoreASequenceAsTheMaskedDenseModelDoesUnderThem() {
        List<PredictorRuntime> predictors = new ArrayList<>();
        try {
            int scored = SEQUENCE.length - CONTEXT;
            for (SparsityMethod method : methods(predictors)) {
                LayerPlan[] plans = method.planFromContext(manager, sparse, Arrays.copyOf(SEQUENCE, CONTEXT));
                double[] achieved = SparsityBudget.achieved(plans, config.numHeads(), config.ffnDim());
                if (method.method() == Method.DENSE) {
                    assertEquals(0, achieved[0] + achieved[1], "dense prunes nothing");
                } else {
                    assertTrue(
                            achieved[0] > 0.3 && achieved[1] > 0.3,
                            method.label() + " prunes about half: " + Arrays.toString(achieved));
                }
                double actual = SequenceScorer.sumLogprobs(manager, sparse, SEQUENCE, scored, layer -> plans[layer]);
                double expected = maskedDenseLogLikelihood(SEQUENCE, scored, plans);
                assertEquals(expected, actual, 1e-4 * Math.max(1, Math.abs(expected)), method.label());
            }
        } finally {
            predictors.forEach(PredictorRuntime::close);
        }
    }

    @Test
    void perplexityOfAFixedMaskEqualsTheMaskedDenseModelsOverTheScoredTokensOfEachWindow() {
        int window = 16;
        int prefix = 4;
        int windows = 3;
        SplittableRandom r = new SplittableRandom(5);
        int[] text = new int[window * windows + 3];
        for (int i = 0; i < text.length; i++) {
            text[i] = r.nextInt(config.vocabSize());
        }
        SparsityMethod random =
                SparsityMethod.randomMask(config, new SparsityBudget(0.5, SparsityBudget.Scope.PER_LAYER, 1, 1), 3);
        PerplexityEval.Result result =
                new PerplexityEval(window, prefix, 0, 1).run(manager, sparse, random, text, m -> {});
        double nll = 0;
        for (int w = 0; w < windows; w++) {
            int[] seq = new int[window + 1];
            seq[0] = config.bosTokenId();
            System.arraycopy(text, w * window, seq, 1, window);
            nll -= maskedDenseLogLikelihood(seq, window - prefix, random.fixedPlans());
        }
        assertEquals(windows, result.windows());
        assertEquals(Math.exp(nll / (windows * (window - prefix))), result.perplexity(), 1e-4 * result.perplexity());
        assertEquals(0.5, result.headSparsity(), 1e-9);
        assertEquals(0.5, result.neuronSparsity(), 1e-2);
    }

    @Test
    void zeroShotAccuracyCountsTheChoicesTheDenseModelScoresHighest() {
        Tokenizer tokenizer = TokenizerLoader.load(SharedPaths.model(MODEL), config.bosTokenId());
        List<TaskExample> examples = SyntheticExamples.of(8, 4);
        int correct = 0;
        int correctNorm = 0;
        for (TaskExample ex : examples) {
            double[] ll = new double[ex.choices().size()];
            double[] norm = new double[ll.length];
            for (int c = 0; c < ll.length; c++) {
                String choice = ex.choices().get(c);
                PromptTokens t = PromptTokens.of(
                        new Prompt(FewShotTask.PIQA, 0, ex.id(), ex.context(), choice),
                        tokenizer,
                        config.maxPositionEmbeddings());
                ll[c] = maskedDenseLogLikelihood(t.tokens(), t.continuationLength(), LayerTap.NONE);
                norm[c] = ll[c] / choice.length();
            }
            correct += argmax(ll) == ex.label() ? 1 : 0;
            correctNorm += argmax(norm) == ex.label() ? 1 : 0;
        }
        ZeroShotEval.Result result = ZeroShotEval.run(
                manager, sparse, SparsityMethod.dense(config), FewShotTask.PIQA, examples, tokenizer, m -> {});
        assertEquals(examples.size(), result.examples());
        assertEquals(correct, result.correct());
        assertEquals(correctNorm, result.correctNorm());
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void latencyTimesEveryMethodGeneratingWithTheCache() {
        List<PredictorRuntime> predictors = new ArrayList<>();
        try {
            List<SparsityMethod> methods = methods(predictors);
            List<LatencyEval.Result> results =
                    new LatencyEval(CONTEXT, 4, 0, 1).runAll(manager, sparse, methods, SEQUENCE, m -> {});
            assertEquals(methods.size(), results.size());
            for (int i = 0; i < results.size(); i++) {
                LatencyEval.Result res = results.get(i);
                String what = methods.get(i).label();
                assertTrue(res.prefillMs() > 0 && Double.isFinite(res.prefillMs()), what + " prefill " + res);
                assertTrue(res.decodeMsPerToken() > 0 && Double.isFinite(res.decodeMsPerToken()), what + " " + res);
            }
        } finally {
            predictors.forEach(PredictorRuntime::close);
        }
    }

    @Test
    void aPredictorReadingAnAttentionContextOfTheWrongWidthIsRefused() {
        // head size 12, not 96 / 6: the attention context is 72 wide, the residual stream 96
        DecoderConfig c = DecoderConfig.builder(ModelFamily.LLAMA)
                .shape(300, 96, 3, 6, 200)
                .kvHeads(2)
                .headDim(12)
                .maxPositions(64)
                .specialTokens(1, 2, 0)
                .build();
        // a predictor saved for the model's layer counts but a stream-wide context (as the trainer would size
        // it) is refused when loaded for this model, naming both widths, for either kind of feature
        PredictorShape asTrained = new PredictorShape(c.numLayers(), c.numHeads(), c.ffnDim(), c.hiddenSize());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (PredictorKind kind : new PredictorKind[] {PredictorKind.SHADOWLLM, PredictorKind.DEJAVU}) {
                Path at = dir.resolve("wide-" + kind.key());
                PredictorArtifacts.save(RandomPredictors.of(kind, asTrained, 24, 5), at);
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class, () -> PredictorRuntime.load(at, c, "wide", kind, m));
                assertTrue(e.getMessage().contains("6 heads of 12 (72) and hidden size 96"), e.getMessage());
            }
        }
    }
}
