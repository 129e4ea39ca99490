package org.shadowllm.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.EngineWeights;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.engine.WorkerPool;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.ItemScore;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptTokens;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;

/**
 * The per-item scores the evaluations keep are each item's own score, scored on its own, and add up to
 * the evaluation's aggregate: perplexity windows, paper-protocol documents, and task examples.
 */
class ItemScoresTest {
    private static final Path MODEL = SharedPaths.model("tiny-random-opt");
    private static final int WINDOW = 16;
    private static final int PREFIX = 4;
    private static NDManager manager;
    private static DecoderModel model;
    private static DecoderConfig config;
    private static SparseDecoderModel sparse;
    private static SparsityMethod method;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu());
        model = ModelCheckpoint.load(MODEL, manager, Device.cpu());
        config = model.config();
        sparse = new SparseDecoderModel(model);
        method = SparsityMethod.randomMask(config, new SparsityBudget(0.5, SparsityBudget.Scope.PER_LAYER, 1, 1), 7);
        tokenizer = TokenizerLoader.load(MODEL, config.bosTokenId());
    }

    @AfterAll
    static void close() {
        sparse.close();
        model.close();
        manager.close();
    }

    private static int[] randomText(int length, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] text = new int[length];
        for (int i = 0; i < text.length; i++) {
            text[i] = 4 + rnd.nextInt(config.vocabSize() - 4);
        }
        return text;
    }

    /** The summed NLL of the last {@code scored} tokens of {@code seq}, planned from the tokens before {@code plannedOn}. */
    private static double nll(int[] seq, int scored, int plannedOn) {
        LayerPlan[] plans = method.planFromContext(manager, sparse, Arrays.copyOf(seq, plannedOn));
        return -SequenceScorer.sumLogprobs(manager, sparse, seq, scored, layer -> plans[layer]);
    }

    @Test
    void windowItemsAreEachWindowsOwnLossAndReproduceThePerplexity() {
        int[] text = randomText(WINDOW * 5 + 3, 2);
        PerplexityEval.Result r = new PerplexityEval(WINDOW, PREFIX, 0, 3).run(manager, sparse, method, text, m -> {});
        assertEquals(5, r.items().size());
        double nll = 0;
        double tokens = 0;
        for (int w = 0; w < 5; w++) {
            TextScore item = r.items().get(w);
            int[] seq = new int[WINDOW + 1];
            seq[0] = config.bosTokenId();
            System.arraycopy(text, w * WINDOW, seq, 1, WINDOW);
            double expected = nll(seq, WINDOW - PREFIX, PREFIX + 1);
            assertEquals(w, item.index());
            assertEquals(WINDOW - PREFIX, item.units());
            assertEquals(expected, item.nll(), 1e-12 * expected, "window " + w);
            nll += item.nll();
            tokens += item.units();
        }
        assertEquals(r.perplexity(), Math.exp(nll / tokens), 1e-12 * r.perplexity());
        assertEquals(r.scoredTokens(), (long) tokens);

        List<ItemScore> rows = ItemScore.of(r);
        assertEquals(5, rows.size());
        for (int w = 0; w < 5; w++) {
            ItemScore row = rows.get(w);
            assertEquals(ItemScore.Kind.WINDOW, row.kind());
            assertEquals("wikitext-2", row.task());
            assertEquals(Integer.toString(w), row.item());
            assertEquals(r.items().get(w).nll(), row.nll());
            assertEquals(WINDOW - PREFIX, row.units());
            assertEquals(WINDOW - PREFIX, row.tokens());
            assertNull(row.correct());
            assertNull(row.correctNorm());
            assertTrue(Double.isNaN(row.chosenLogLikelihood()));
        }
    }

    @Test
    void documentItemsKeepEachDocumentsLossWordsAndTokensAndReproduceBothPerplexities() {
        int[][] texts = {randomText(30, 5), randomText(600, 6), randomText(7, 7)};
        int[] words = {20, 400, 5};
        List<PerplexityEval.Document> docs = new ArrayList<>();
        for (int d = 0; d < texts.length; d++) {
            docs.add(new PerplexityEval.Document(texts[d], words[d]));
        }
        PerplexityEval.PaperResult r =
                new PerplexityEval(WINDOW, PREFIX, 0, 3).runPaper(manager, sparse, method, docs, m -> {});
        assertEquals(3, r.scores().size());
        double nll = 0;
        for (int d = 0; d < texts.length; d++) {
            PerplexityEval.DocumentScore s = r.scores().get(d);
            assertEquals(d, s.index());
            assertEquals(words[d], s.words());
            assertEquals(texts[d].length, s.tokens());
            nll += s.nll();
        }
        // the short documents fit one window after BOS, planned on every token but the last
        for (int d : new int[] {0, 2}) {
            int[] seq = new int[texts[d].length + 1];
            seq[0] = config.bosTokenId();
            System.arraycopy(texts[d], 0, seq, 1, texts[d].length);
            double expected = nll(seq, texts[d].length, seq.length - 1);
            assertEquals(expected, r.scores().get(d).nll(), 1e-12 * expected, "document " + d);
        }
        double wordPpl = r.wordPerplexity().value();
        double tokenPpl = r.tokenPerplexity().value();
        assertEquals(wordPpl, Math.exp(nll / (20 + 400 + 5)), 1e-12 * wordPpl);
        assertEquals(tokenPpl, Math.exp(nll / (30 + 600 + 7)), 1e-12 * tokenPpl);
        assertEquals(
                r.words(), r.perWord().stream().mapToDouble(TextScore::units).sum());
        assertEquals(
                r.tokens(), r.perToken().stream().mapToDouble(TextScore::units).sum());

        List<ItemScore> rows = ItemScore.of(r);
        assertEquals(List.of("0", "1", "2"), rows.stream().map(ItemScore::item).toList());
        assertEquals(ItemScore.Kind.DOCUMENT, rows.get(1).kind());
        assertEquals(400, rows.get(1).units());
        assertEquals(600, rows.get(1).tokens());
        assertEquals(r.scores().get(1).nll(), rows.get(1).nll());
    }

    private static List<TaskExample> examples(int n, long seed) {
        return SyntheticExamples.of(n, seed);
    }

    @Test
    void exampleItemsAreEachExamplesOwnPicksAndAddUpToTheCounts() {
        List<TaskExample> examples = examples(12, 4);
        ZeroShotEval.Result r =
                ZeroShotEval.run(manager, sparse, method, FewShotTask.PIQA, examples, tokenizer, m -> {});
        assertEquals(examples.size(), r.items().size());
        for (int e = 0; e < examples.size(); e++) {
            TaskExample ex = examples.get(e);
            double[] ll = new double[ex.choices().size()];
            double[] norm = new double[ll.length];
            for (int c = 0; c < ll.length; c++) {
                PromptTokens t = PromptTokens.of(
                        new Prompt(
                                FewShotTask.PIQA,
                                0,
                                ex.id(),
                                ex.context(),
                                ex.choices().get(c)),
                        tokenizer,
                        config.maxPositionEmbeddings());
                ll[c] = -nll(t.tokens(), t.continuationLength(), t.context().length);
                norm[c] = ll[c] / ex.choices().get(c).length();
            }
            ExampleScore item = r.items().get(e);
            assertEquals(FewShotTask.PIQA, item.task());
            assertEquals(e, item.index());
            assertEquals(ex.id(), item.id());
            assertEquals(argmax(ll) == ex.label(), item.correct(), ex.id());
            assertEquals(argmax(norm) == ex.label(), item.correctNorm(), ex.id());
            assertEquals(ll[argmax(ll)], item.chosenLogLikelihood(), 1e-12 * Math.abs(ll[argmax(ll)]));
            assertEquals(ll[ex.label()], item.goldLogLikelihood(), 1e-12 * Math.abs(ll[ex.label()]));
        }
        assertEquals(
                r.correct(), r.items().stream().filter(ExampleScore::correct).count());
        assertEquals(
                r.correctNorm(),
                r.items().stream().filter(ExampleScore::correctNorm).count());
        assertTrue(r.correct() > 0 && r.correct() < examples.size(), "some right, some wrong: " + r.correct());

        List<ItemScore> rows = ItemScore.of(r);
        assertEquals(examples.size(), rows.size());
        for (int e = 0; e < rows.size(); e++) {
            ItemScore row = rows.get(e);
            assertEquals(ItemScore.Kind.EXAMPLE, row.kind());
            assertEquals("piqa", row.task());
            assertEquals(examples.get(e).id(), row.item());
            assertEquals(1, row.units());
            assertTrue(Double.isNaN(row.nll()));
            assertEquals(r.items().get(e).correct(), row.correct());
            assertEquals(r.items().get(e).correctNorm(), row.correctNorm());
            assertEquals(r.items().get(e).goldLogLikelihood(), row.goldLogLikelihood());
        }
    }

    @Test
    void decodingKeepsItemsThatAgreeWithTheOneForwardPassScores() {
        SparsityMethod dense = SparsityMethod.dense(config);
        int[] text = randomText(WINDOW * 3, 9);
        PerplexityEval eval = new PerplexityEval(WINDOW, PREFIX, 0, 3);
        List<TaskExample> examples = examples(6, 8);
        try (WorkerPool pool = new WorkerPool(1)) {
            DecodeEngine engine = new DecodeEngine(EngineWeights.load(MODEL, WeightFormat.FP32), pool);
            PerplexityEval.Result decoded = eval.runDecoding(engine, sparse, dense, text, m -> {});
            PerplexityEval.Result forward = eval.run(manager, sparse, dense, text, m -> {});
            assertEquals(3, decoded.items().size());
            double nll = decoded.items().stream().mapToDouble(TextScore::nll).sum();
            assertEquals(decoded.perplexity(), Math.exp(nll / (3.0 * (WINDOW - PREFIX))), 1e-12 * decoded.perplexity());
            for (int w = 0; w < 3; w++) {
                double expected = forward.items().get(w).nll();
                assertEquals(expected, decoded.items().get(w).nll(), 1e-4 * expected, "window " + w);
            }
            ZeroShotEval.Result acc =
                    ZeroShotEval.runDecoding(engine, sparse, dense, FewShotTask.PIQA, examples, tokenizer, m -> {});
            ZeroShotEval.Result accForward =
                    ZeroShotEval.run(manager, sparse, dense, FewShotTask.PIQA, examples, tokenizer, m -> {});
            assertEquals(examples.size(), acc.items().size());
            for (int e = 0; e < examples.size(); e++) {
                double expected = accForward.items().get(e).goldLogLikelihood();
                assertEquals(expected, acc.items().get(e).goldLogLikelihood(), 1e-4 * Math.abs(expected));
                assertEquals(examples.get(e).id(), acc.items().get(e).id());
            }
        }
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
}
