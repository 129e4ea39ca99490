package org.shadowllm.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.PredictorDesign;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.bench.BenchOptions;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.criteria.CriteriaJobOptions;
import org.shadowllm.jobs.runtime.ChildJvm;
import org.shadowllm.jobs.train.TrainerJob;
import org.shadowllm.jobs.train.TrainerJobOptions;

/**
 * The jobs' command lines as a user meets them: the documented defaults, help, usage errors, enum keys,
 * repeated options and the named groups of the bench's numbers. The expected values are the ones the
 * jobs' usage texts have always stated.
 */
class JobOptionsTest {
    @TempDir
    Path dir;

    private static final String[] NONE = {};

    @Test
    void noArgumentsGiveTheCriteriaJobsDocumentedDefaults() {
        CriteriaJobOptions o = CriteriaJobOptions.parse(NONE);
        assertEquals(SharedPaths.model("opt-mini-trained").toString(), o.model());
        assertEquals(SharedPaths.root().resolve("data/tasks").toString(), o.data());
        assertEquals(
                List.of("piqa", "copa", "openbookqa", "winogrande", "rte", "hellaswag", "arc_easy"),
                o.tasks().stream().map(FewShotTask::key).toList());
        assertEquals(List.of(0, 3, 5), o.shots());
        assertEquals(8, o.examplesPerSet());
        assertEquals(CriteriaJobOptions.ExampleSplit.VALIDATION, o.split());
        assertEquals(EnumSet.allOf(ImportanceCriterion.class), o.criteria());
        assertEquals(4, o.batchSize());
        assertEquals(64, o.chunk());
        assertEquals(1234, o.seed());
        assertEquals(0, o.maxMalformed());
        assertEquals(25, o.logEvery());
        assertEquals(0, o.threads());
        assertEquals(0, o.failAfterExamples());
        assertFalse(o.force());
        assertEquals(262144, o.maxLineChars());
        assertEquals("out/criteria", o.output());
        assertTrue(o.runId().matches("run-\\d{8}-\\d{6}-[0-9a-f]{4}"), o.runId());
        assertEquals("auto", o.device());
        assertEquals("local[*]", o.master());
        assertFalse(o.releaseLock());
    }

    @Test
    void noArgumentsGiveTheTrainerJobsDocumentedDefaults() {
        TrainerJobOptions o = TrainerJobOptions.parse(NONE);
        assertEquals("out/criteria", o.input());
        assertEquals(null, o.model());
        assertEquals(ImportanceCriterion.PLAINACT, o.criterion());
        assertEquals(FeaturePosition.PLAN, o.features());
        assertEquals(List.of(), o.tasks());
        assertEquals(List.of(), o.shots());
        assertEquals(List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU), o.predictors());
        assertEquals(100, o.training().epochs());
        assertEquals(32, o.training().batchSize());
        assertEquals(1e-3, o.training().learningRate());
        assertEquals(0.01, o.training().weightDecay());
        assertEquals(PredictorDesign.DEFAULT, o.training().design());
        assertEquals(10, o.training().logEvery());
        assertEquals(1234, o.training().seed());
        assertEquals(0.1, o.heldOut());
        assertEquals(1234, o.splitSeed());
        assertEquals("out/trainer", o.output());
        assertTrue(o.runId().startsWith("train-"), o.runId());
        assertEquals("auto", o.device());
        assertEquals("local[*]", o.master());
        assertFalse(o.releaseLock());
    }

    @Test
    void noArgumentsGiveTheBenchJobsDocumentedDefaults() {
        BenchOptions o = BenchOptions.parse(NONE);
        assertEquals(SharedPaths.model("opt-mini-trained").toString(), o.model());
        assertEquals("out/criteria", o.criteriaInput());
        assertEquals("out/trainer", o.predictorsInput());
        assertEquals(ImportanceCriterion.PLAINACT, o.criterion());
        assertEquals(PredictorKind.SHADOWLLM_SPLIT, o.grid().shadowKind());
        for (Method m : Method.values()) {
            assertTrue(o.grid().runs(m), m.key());
        }
        assertEquals(List.of(0.3, 0.5, 0.7), o.grid().sparsities());
        assertEquals(List.of(SparsityBudget.Scope.PER_LAYER), o.grid().scopes());
        assertEquals(List.of(SparsityBudget.Prune.BOTH), o.grid().prunes());
        assertEquals(1, o.grid().minHeads());
        assertEquals(0, o.grid().minNeurons());
        assertEquals(Set.of(Measure.PERPLEXITY, Measure.ACCURACY, Measure.LATENCY), o.measures());
        assertEquals(SharedPaths.root().resolve("data/tasks").toString(), o.data());
        assertEquals(SharedPaths.root().resolve("data/wikitext-2-raw/test.txt").toString(), o.wikitext());
        assertEquals(new BenchOptions.Perplexity(256, 64, 8, 0), o.perplexity());
        assertEquals(List.of(FewShotTask.values()), o.tasks());
        assertEquals(20, o.examplesPerTask());
        assertEquals(16, o.shard());
        assertEquals(new BenchOptions.Latency(128, 128, 1, 3), o.latency());
        assertEquals(0, o.grid().replanEvery());
        assertEquals(Optional.of(WeightFormat.FP32), o.engine());
        assertEquals(PredictorPrecision.INT8, o.predictorPrecision());
        assertEquals(Optional.of(PredictorPrecision.INT8), o.enginePredictorPrecision());
        assertEquals(1234, o.seed());
        assertEquals("out/bench", o.output());
        assertTrue(o.runId().startsWith("bench-"), o.runId());
        assertEquals("auto", o.device());
        assertEquals("local[*]", o.master());
        assertFalse(o.releaseLock());
    }

    @Test
    void helpIsTheUsageWithEveryOptionItsProseAndItsDefaultNotAnError() {
        HelpRequested criteria =
                assertThrows(HelpRequested.class, () -> CriteriaJobOptions.parse(new String[] {"--help"}));
        assertTrue(criteria.usage().startsWith("Usage: criteria"), criteria.usage());
        assertTrue(criteria.usage().contains("criteria job: per-example head and neuron importance"), criteria.usage());
        assertTrue(criteria.usage().contains("--split=S"), criteria.usage());
        assertTrue(criteria.usage().contains("shot counts (default: 0,3,5)"), criteria.usage());
        assertTrue(criteria.usage().contains("--release-lock=true|false"), criteria.usage());
        assertTrue(criteria.usage().contains("(default: out/criteria)"), criteria.usage());
        assertFalse(criteria.usage().contains("--fail-after"), "a test aid stays out of the help");
        HelpRequested train = assertThrows(HelpRequested.class, () -> TrainerJobOptions.parse(new String[] {"-h"}));
        assertTrue(train.usage().matches("(?s).*--epochs=N +\\(default: 100\\).*"), train.usage());
        // the help wraps its lines
        assertTrue(train.usage().replaceAll("\\s+", " ").contains("such as train-"), train.usage());
        HelpRequested bench =
                assertThrows(HelpRequested.class, () -> BenchOptions.parse(new String[] {"--tasks", "copa", "--help"}));
        assertTrue(bench.usage().contains("--latency-repeats=N"), bench.usage());
        assertTrue(bench.usage().contains("--engine=F"), bench.usage());
        assertTrue(bench.usage().contains("--predictor-precision=P"), bench.usage());
        // a long shared path (CI's) wraps the default onto the next line
        assertTrue(
                bench.usage()
                        .replaceAll("\\s+", " ")
                        .contains("(default: " + SharedPaths.model("opt-mini-trained") + ")"),
                bench.usage());
    }

    @Test
    void anUnknownOptionAValueOfTheWrongTypeOrARefusedValueIsAUsageErrorEndingWithTheUsage() {
        UsageException unknown =
                assertThrows(UsageException.class, () -> CriteriaJobOptions.parse(new String[] {"--nope", "1"}));
        assertTrue(unknown.getMessage().startsWith("Unknown options: '--nope', '1'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("\nUsage: criteria"), unknown.getMessage());
        UsageException notANumber =
                assertThrows(UsageException.class, () -> TrainerJobOptions.parse(new String[] {"--epochs", "many"}));
        assertTrue(notANumber.getMessage().startsWith("Invalid value for option '--epochs': 'many' is not an int"));
        UsageException noValue = assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--shard"}));
        assertTrue(noValue.getMessage().contains("Missing required parameter for option '--shard'"));
        UsageException refused =
                assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--shard", "0"}));
        assertTrue(refused.getMessage().startsWith("--shard must be ≥ 1, got 0\nUsage: bench"), refused.getMessage());
        UsageException positional = assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"x"}));
        assertTrue(positional.getMessage().contains("'x'"), positional.getMessage());
        UsageException badKey =
                assertThrows(UsageException.class, () -> CriteriaJobOptions.parse(new String[] {"--tasks", "mmlu"}));
        assertTrue(
                badKey.getMessage()
                        .startsWith("Invalid value for option '--tasks' (LIST): unknown few shot task 'mmlu'; expected "
                                + "piqa, copa, openbookqa, winogrande, rte, hellaswag or arc_easy"),
                badKey.getMessage());
        UsageException notABoolean =
                assertThrows(UsageException.class, () -> CriteriaJobOptions.parse(new String[] {"--force", "yes"}));
        assertTrue(notABoolean.getMessage().contains("--force"), notABoolean.getMessage());
    }

    @Test
    void enumOptionsTakeTheirKeysInAnyCaseTrimmedAndTheirOldSpellings() {
        CriteriaJobOptions c = CriteriaJobOptions.parse(
                new String[] {"--split", "TRAIN", "--criteria", " Fisher,snip", "--tasks", "arc-easy,COPA"});
        assertEquals(CriteriaJobOptions.ExampleSplit.TRAIN, c.split());
        assertEquals(EnumSet.of(ImportanceCriterion.FISHER, ImportanceCriterion.SNIP), c.criteria());
        assertEquals(List.of(FewShotTask.ARC_EASY, FewShotTask.COPA), c.tasks());
        TrainerJobOptions t = TrainerJobOptions.parse(
                new String[] {"--features", "last", "--predictors", "dejavu-inflated", "--criterion", "GRASP"});
        assertEquals(FeaturePosition.LAST_INPUT, t.features());
        assertEquals(List.of(PredictorKind.DEJAVU_INFLATED), t.predictors());
        assertEquals(ImportanceCriterion.GRASP, t.criterion());
        BenchOptions b =
                BenchOptions.parse(new String[] {"--budget", "global,per_layer,global-raw", "--prune", "Heads"});
        assertEquals(
                List.of(SparsityBudget.Scope.GLOBAL, SparsityBudget.Scope.PER_LAYER, SparsityBudget.Scope.GLOBAL_RAW),
                b.grid().scopes());
        assertEquals(List.of(SparsityBudget.Prune.HEADS), b.grid().prunes());
    }

    @Test
    void thePredictorPrecisionIsInt8OnDjlAndOnTheEngineUnlessGiven() {
        BenchOptions bf16 = BenchOptions.parse(new String[] {"--engine", "bf16"});
        assertEquals(PredictorPrecision.INT8, bf16.predictorPrecision());
        assertEquals(Optional.of(PredictorPrecision.INT8), bf16.enginePredictorPrecision());
        BenchOptions fp32 = BenchOptions.parse(new String[] {"--engine", "bf16", "--predictor-precision", "fp32"});
        assertEquals(PredictorPrecision.FP32, fp32.predictorPrecision());
        assertEquals(Optional.of(PredictorPrecision.FP32), fp32.enginePredictorPrecision());
        BenchOptions int8 = BenchOptions.parse(new String[] {"--engine", "bf16", "--predictor-precision", "INT8"});
        assertEquals(PredictorPrecision.INT8, int8.predictorPrecision());
        assertEquals(Optional.of(PredictorPrecision.INT8), int8.enginePredictorPrecision());
        BenchOptions off = BenchOptions.parse(new String[] {"--engine", "off", "--predictor-precision", "bf16"});
        assertEquals(PredictorPrecision.BF16, off.predictorPrecision());
        assertEquals(Optional.empty(), off.enginePredictorPrecision());
        UsageException e = assertThrows(
                UsageException.class, () -> BenchOptions.parse(new String[] {"--predictor-precision", "int4"}));
        assertTrue(e.getMessage().contains("fp32, bf16 or int8"), e.getMessage());
    }

    @Test
    void engineOffIsNoEngineAndAWeightFormatIsThatEngine() {
        assertEquals(
                Optional.empty(),
                BenchOptions.parse(new String[] {"--engine", "off"}).engine());
        assertEquals(
                Optional.empty(),
                BenchOptions.parse(new String[] {"--engine", "OFF"}).engine());
        assertEquals(
                Optional.of(WeightFormat.BF16),
                BenchOptions.parse(new String[] {"--engine", "bf16"}).engine());
        assertEquals(
                Optional.of(WeightFormat.FP32),
                BenchOptions.parse(new String[] {"--engine", "float32"}).engine());
        UsageException e =
                assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--engine", "fp8"}));
        assertTrue(e.getMessage().startsWith("--engine takes fp32, bf16 or off, got 'fp8'"), e.getMessage());
    }

    @Test
    void theLastOfARepeatedOptionWinsListsIncluded() {
        CriteriaJobOptions c = CriteriaJobOptions.parse(new String[] {
            "--examples", "3", "--shots", "0,3", "--examples", "5", "--shots=5", "--release-lock", "true"
        });
        assertEquals(5, c.examplesPerSet());
        assertEquals(List.of(5), c.shots());
        assertTrue(c.releaseLock());
        BenchOptions b = BenchOptions.parse(
                new String[] {"--sparsities", "0.5", "--methods", "dense", "--sparsities", "0.3,0.7", "--seed", "-5"});
        assertEquals(List.of(0.3, 0.7), b.grid().sparsities());
        assertEquals(-5, b.seed());
        assertTrue(b.grid().runs(Method.DENSE) && !b.grid().runs(Method.STATIC));
    }

    @Test
    void theBenchsLatencyAndPerplexityNumbersAreNamedAndCheckedTogether() {
        BenchOptions b = BenchOptions.parse(new String[] {
            "--latency-prompt", "8", "--latency-generate", "4", "--latency-warmup", "0", "--latency-repeats", "2",
            "--ppl-window", "48", "--ppl-prefix", "16", "--ppl-windows", "3", "--ppl-documents", "5"
        });
        assertEquals(8, b.latency().prompt());
        assertEquals(4, b.latency().generate());
        assertEquals(0, b.latency().warmup());
        assertEquals(2, b.latency().repeats());
        assertEquals(48, b.perplexity().window());
        assertEquals(16, b.perplexity().prefix());
        assertEquals(3, b.perplexity().windows());
        assertEquals(5, b.perplexity().documents());
        assertEquals(3 * 48, b.perplexityEval().tokensWanted());
        UsageException prefix = assertThrows(
                UsageException.class,
                () -> BenchOptions.parse(new String[] {"--ppl-window", "16", "--ppl-prefix", "16"}));
        assertTrue(prefix.getMessage().startsWith("need 1 ≤ --ppl-prefix < --ppl-window, got 16 and 16"));
        UsageException generate =
                assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--latency-generate", "1"}));
        assertTrue(generate.getMessage().startsWith("--latency-prompt must be ≥ 1, --latency-generate ≥ 2"));
    }

    @Test
    void fromMainHelpExitsZeroAndABadOptionExitsTwoWithTheReasonAndTheUsage() throws Exception {
        for (Class<?> job : List.of(CriteriaJob.class, TrainerJob.class, BenchJob.class)) {
            Path help = dir.resolve(job.getSimpleName() + "-help.log");
            assertEquals(0, ChildJvm.run(help, job, "--help"), Files.readString(help));
            assertTrue(Files.readString(help).contains("Usage: "), Files.readString(help));
            assertTrue(Files.readString(help).contains("--release-lock=true|false"), Files.readString(help));
            Path bad = dir.resolve(job.getSimpleName() + "-bad.log");
            assertEquals(2, ChildJvm.run(bad, job, "--nope", "1"), Files.readString(bad));
            assertTrue(Files.readString(bad).contains("Unknown options: '--nope', '1'"), Files.readString(bad));
            assertTrue(Files.readString(bad).contains("Usage: "), Files.readString(bad));
        }
    }
}
