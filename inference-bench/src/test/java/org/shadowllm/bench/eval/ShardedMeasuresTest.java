package org.shadowllm.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.TokenizerLoader;

/** Perplexity windows and task examples measured in separate runs combine into the one-run result, exactly. */
class ShardedMeasuresTest {
    private static final Path MODEL = SharedPaths.model("tiny-random-opt");
    private static NDManager manager;
    private static DecoderModel model;
    private static SparseDecoderModel sparse;
    private static SparsityMethod method;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu());
        model = ModelCheckpoint.load(MODEL, manager, Device.cpu());
        sparse = new SparseDecoderModel(model);
        method = SparsityMethod.randomMask(
                model.config(), new SparsityBudget(0.5, SparsityBudget.Scope.PER_LAYER, 1, 1), 7);
    }

    @AfterAll
    static void close() {
        sparse.close();
        model.close();
        manager.close();
    }

    @Test
    void perplexityOverRunsOfWindowsCombinesToTheWholeTextsResult() {
        SplittableRandom rnd = new SplittableRandom(2);
        int[] text = new int[16 * 7 + 5];
        for (int i = 0; i < text.length; i++) {
            text[i] = 4 + rnd.nextInt(model.config().vocabSize() - 4);
        }
        PerplexityEval eval = new PerplexityEval(16, 4, 0, 3);
        PerplexityEval.Result whole = eval.run(manager, sparse, method, text, m -> {});
        assertEquals(7, whole.windows());
        List<PerplexityEval.Windows> runs = new ArrayList<>();
        runs.add(eval.score(manager, sparse, method, text, 5, 7, m -> {}));
        runs.add(eval.score(manager, sparse, method, text, 0, 3, m -> {}));
        runs.add(eval.score(manager, sparse, method, text, 3, 5, m -> {}));
        assertEquals(whole, eval.combine(runs));
        assertTrue(whole.headSparsity() > 0, "the mask prunes, so the sparsity sums are tested too");
        IllegalArgumentException gap =
                assertThrows(IllegalArgumentException.class, () -> eval.combine(List.of(runs.get(1), runs.get(0))));
        assertTrue(gap.getMessage().contains("gap"), gap.getMessage());
    }

    @Test
    void accuracyOverSlicesOfATaskCombinesToTheWholeTasksResult() {
        var tokenizer = TokenizerLoader.load(MODEL, model.config().bosTokenId());
        List<TaskExample> examples = SyntheticExamples.of(11, 4);
        ZeroShotEval.Result whole =
                ZeroShotEval.run(manager, sparse, method, FewShotTask.PIQA, examples, tokenizer, m -> {});
        // slices given out of order: the combined examples still come in the task's order
        List<ZeroShotEval.Result> slices = List.of(
                ZeroShotEval.score(manager, sparse, method, FewShotTask.PIQA, examples, 4, 11, tokenizer, m -> {}),
                ZeroShotEval.score(manager, sparse, method, FewShotTask.PIQA, examples, 0, 4, tokenizer, m -> {}));
        ZeroShotEval.Result combined = ZeroShotEval.Result.combine(slices);
        assertEquals(whole, combined);
        assertEquals(whole.acc(), combined.acc());
        assertEquals(whole.accNorm(), combined.accNorm());
        assertEquals(
                examples.stream().map(TaskExample::id).toList(),
                combined.items().stream().map(ExampleScore::id).toList());
        IllegalArgumentException overlap = assertThrows(
                IllegalArgumentException.class,
                () -> ZeroShotEval.Result.combine(List.of(slices.get(1), slices.get(1))));
        assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
    }
}
