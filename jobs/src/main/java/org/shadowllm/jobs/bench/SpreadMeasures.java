package org.shadowllm.jobs.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.Function;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.PredictorSet;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.method.UnitScores;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.runtime.ExecutorModels;
import org.shadowllm.jobs.tables.LocalCopy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on an executor: one shard of a perplexity or accuracy measurement of one method configuration
 * (a run of windows, or of a task's examples); the driver combines the shards ({@link ShardedMeasures}).
 * The model (and its sparse view) is loaded once per JVM, and the run's methods once per JVM and run,
 * from the same method grid, static scores and predictor folders as on the driver, so method {@code i}
 * is the driver's method {@code i}.
 */
final class SpreadMeasures implements Function<SpreadMeasures.Item, SpreadMeasures.Outcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SpreadMeasures.class);
    private static final Map<DecoderModel, SparseDecoderModel> SPARSE = new IdentityHashMap<>();
    private static final Map<DecoderModel, RunState> RUNS = new IdentityHashMap<>();

    /**
     * One shard of a measurement: the measurement's place in the report, the method's index, the
     * measure, the task (accuracy), and the run of perplexity windows or task examples {@code [from, to)}.
     */
    record Item(int order, int method, Measure measure, FewShotTask task, int from, int to) implements Serializable {}

    /** What one shard measured: its windows' scores (perplexity) or its examples' counts (accuracy). */
    record Outcome(Item item, PerplexityEval.Windows windows, ZeroShotEval.Result accuracy) implements Serializable {}

    /** This job's measurements, apart from any other run's in the same JVM (same run id included). */
    private final String invocation = UUID.randomUUID().toString();

    private final BenchOptions options;
    private final PredictorSet.Target target;
    private final Map<ImportanceCriterion, UnitScores> staticScores;
    private final int[] text;
    private final Map<FewShotTask, List<TaskExample>> tasks;
    private final Map<String, String> hadoop;
    private final PredictorSet.Provenance chosen;

    private SpreadMeasures(BenchRun run, Map<String, String> hadoop, PredictorSet.Provenance chosen) {
        this.options = run.options();
        this.target = run.model().target();
        this.staticScores = run.staticScores();
        this.text = run.inputs().text();
        this.tasks = run.inputs().tasksCopy();
        this.hadoop = hadoop;
        this.chosen = chosen;
    }

    /**
     * The work of {@code run}'s spread measures; executors read predictors through {@code hadoop} and
     * must find the ones the driver loaded ({@code chosen}).
     */
    static SpreadMeasures of(BenchRun run, Configuration hadoop, PredictorSet.Provenance chosen) {
        return new SpreadMeasures(run, LocalCopy.settings(hadoop), chosen);
    }

    @Override
    public Outcome call(Item item) {
        Device device = DeviceSpec.parse(options.device()).resolve();
        DecoderModel model = ExecutorModels.get(options.model(), target.fingerprint(), device, 0);
        try (DecoderModel.Exclusive held = model.exclusive();
                NDManager root = NDManager.newBaseManager(device)) {
            SparseDecoderModel sparse = sparse(model);
            RunState run = runState(model, device);
            SparsityMethod m = run.methods().get(item.method());
            // per-window and per-example progress stays in the executor's debug log; the driver reports per measure
            if (item.measure() == Measure.PERPLEXITY) {
                return new Outcome(
                        item,
                        options.perplexityEval().score(root, sparse, m, text, item.from(), item.to(), LOG::debug),
                        null);
            }
            return new Outcome(
                    item,
                    null,
                    ZeroShotEval.score(
                            root,
                            sparse,
                            m,
                            item.task(),
                            tasks.get(item.task()),
                            item.from(),
                            item.to(),
                            run.tokenizer(),
                            LOG::debug));
        }
    }

    /**
     * One bench run's methods on one model, with the predictors and tokenizer they use: built once per
     * JVM and run, for all of the run's shards there.
     */
    private record RunState(
            String run, NDManager manager, PredictorSet predictors, List<SparsityMethod> methods, Tokenizer tokenizer) {
        void close() {
            predictors.close();
            manager.close();
        }
    }

    /**
     * This run's state on {@code model}; a later run's replaces it. Call holding the model's exclusive
     * lock: every task using a state of this model holds it, so none uses the one replaced.
     */
    private RunState runState(DecoderModel model, Device device) {
        synchronized (RUNS) {
            RunState state = RUNS.get(model);
            if (state != null && state.run().equals(invocation)) {
                return state;
            }
            if (state != null) {
                RUNS.remove(model);
                state.close();
            }
            NDManager manager = NDManager.newBaseManager(device);
            PredictorSet predictors =
                    BenchPredictors.open(manager, options, target, LocalCopy.configuration(hadoop), chosen);
            try {
                state = new RunState(
                        invocation,
                        manager,
                        predictors,
                        options.grid().build(model.config(), staticScores, predictors),
                        TokenizerLoader.load(
                                Path.of(options.model()), model.config().bosTokenId()));
            } catch (RuntimeException e) {
                predictors.close();
                manager.close();
                throw e;
            }
            RUNS.put(model, state);
            return state;
        }
    }

    /** The JVM's sparse view of {@code model}, made once: it copies some weights. */
    static SparseDecoderModel sparse(DecoderModel model) {
        synchronized (SPARSE) {
            return SPARSE.computeIfAbsent(model, SparseDecoderModel::new);
        }
    }
}
