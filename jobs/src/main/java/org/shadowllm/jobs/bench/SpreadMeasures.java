package org.shadowllm.jobs.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.Function;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.DecoderConfig;
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
 * (a run of windows, or of a task's examples); the driver combines the shards. The model (and its
 * sparse view) is loaded once per JVM, and the run's methods once per JVM and run, from the same
 * options, static scores and predictor folders as on the driver, so method {@code i} is the driver's
 * method {@code i}.
 */
final class SpreadMeasures implements Function<SpreadMeasures.Item, SpreadMeasures.Outcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SpreadMeasures.class);
    static final String PERPLEXITY = "perplexity";
    static final String ACCURACY = "accuracy";
    private static final Map<DecoderModel, SparseDecoderModel> SPARSE = new IdentityHashMap<>();
    private static final Map<DecoderModel, RunState> RUNS = new IdentityHashMap<>();

    /**
     * One shard of a measurement: the measurement's place in the report, the method's index, the
     * measure, the task (accuracy), and the run of perplexity windows or task examples {@code [from, to)}.
     */
    record Item(int order, int method, String measure, FewShotTask task, int from, int to) implements Serializable {}

    /** What one shard measured: its windows' scores (perplexity) or its examples' counts (accuracy). */
    record Outcome(Item item, PerplexityEval.Windows windows, ZeroShotEval.Result accuracy) implements Serializable {}

    /** This job's measurements, apart from any other run's in the same JVM (same run id included). */
    private final String invocation;

    private final BenchOptions options;
    private final String modelName;
    private final String fingerprint;
    private final Map<ImportanceCriterion, float[][][]> staticScores;
    private final int[] text;
    private final Map<FewShotTask, List<TaskExample>> tasks;
    private final Map<String, String> hadoop;
    private final BenchJob.Provenance chosen;

    SpreadMeasures(
            BenchOptions options,
            String modelName,
            String fingerprint,
            Map<ImportanceCriterion, float[][][]> staticScores,
            int[] text,
            Map<FewShotTask, List<TaskExample>> tasks,
            Map<String, String> hadoop,
            BenchJob.Provenance chosen) {
        this.chosen = chosen;
        this.invocation = java.util.UUID.randomUUID().toString();
        this.options = options;
        this.modelName = modelName;
        this.fingerprint = fingerprint;
        this.staticScores = staticScores;
        this.text = text;
        this.tasks = tasks;
        this.hadoop = hadoop;
    }

    @Override
    public Outcome call(Item item) {
        Device device = DeviceSpec.parse(options.device()).resolve();
        DecoderModel model = ExecutorModels.get(options.model(), fingerprint, device, 0);
        try (DecoderModel.Exclusive held = model.exclusive();
                NDManager root = NDManager.newBaseManager(device)) {
            SparseDecoderModel sparse = sparse(model);
            RunState run = runState(model, device);
            SparsityMethod m = run.methods().get(item.method());
            if (item.measure().equals(PERPLEXITY)) {
                return new Outcome(
                        item,
                        options.perplexityEval().score(root, sparse, m, text, item.from(), item.to(), LOG::info),
                        null);
            }
            List<TaskExample> examples = tasks.get(item.task()).subList(item.from(), item.to());
            return new Outcome(
                    item, null, ZeroShotEval.run(root, sparse, m, item.task(), examples, run.tokenizer(), LOG::info));
        }
    }

    /**
     * One bench run's methods on one model, with the predictors and tokenizer they use: built once per
     * JVM and run, for all of the run's shards there.
     */
    private record RunState(
            String run,
            NDManager manager,
            BenchJob.Predictors predictors,
            List<SparsityMethod> methods,
            Tokenizer tokenizer) {
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
        String run = invocation;
        synchronized (RUNS) {
            RunState state = RUNS.get(model);
            if (state != null && state.run().equals(run)) {
                return state;
            }
            if (state != null) {
                RUNS.remove(model);
                state.close();
            }
            DecoderConfig config = model.config();
            NDManager manager = NDManager.newBaseManager(device);
            BenchJob.Predictors predictors = new BenchJob.Predictors(
                    manager, config, modelName, fingerprint, LocalCopy.configuration(hadoop), chosen);
            try {
                state = new RunState(
                        run,
                        manager,
                        predictors,
                        BenchJob.methods(options, config, modelName, staticScores, predictors),
                        TokenizerLoader.load(Path.of(options.model()), config.bosTokenId()));
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
