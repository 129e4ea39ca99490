package org.shadowllm.jobs.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.Function;
import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.ByteLevelBpeTokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.criteria.ExecutorModels;
import org.shadowllm.jobs.tables.LocalCopy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on an executor: one perplexity or accuracy measurement of one method configuration. The model
 * (and its sparse view) is loaded once per JVM; the methods are rebuilt from the same options, static
 * scores and predictor folders as on the driver, so method {@code i} is the driver's method {@code i}.
 */
final class SpreadMeasures implements Function<SpreadMeasures.Item, SpreadMeasures.Outcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SpreadMeasures.class);
    static final String PERPLEXITY = "perplexity";
    static final String ACCURACY = "accuracy";
    private static final Map<OptModel, SparseOptModel> SPARSE = new IdentityHashMap<>();

    /** One measurement: its place in the report, the method's index, the measure, and the task (accuracy). */
    record Item(int order, int method, String measure, FewShotTask task) implements Serializable {}

    /** The rows one measurement produced. */
    record Outcome(int order, String measure, List<BenchResult> rows) implements Serializable {}

    private final BenchOptions options;
    private final String modelName;
    private final String fingerprint;
    private final Map<ImportanceCriterion, float[][][]> staticScores;
    private final int[] text;
    private final Map<FewShotTask, List<TaskExample>> tasks;
    private final Map<String, String> hadoop;

    SpreadMeasures(
            BenchOptions options,
            String modelName,
            String fingerprint,
            Map<ImportanceCriterion, float[][][]> staticScores,
            int[] text,
            Map<FewShotTask, List<TaskExample>> tasks,
            Map<String, String> hadoop) {
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
        OptModel model = ExecutorModels.get(options.model(), fingerprint, device, 0);
        OptConfig config = model.config();
        Configuration conf = LocalCopy.configuration(hadoop);
        try (OptModel.Exclusive held = model.exclusive();
                NDManager root = NDManager.newBaseManager(device);
                BenchJob.Predictors predictors = new BenchJob.Predictors(root, config, modelName, fingerprint, conf)) {
            SparseOptModel sparse = sparse(model);
            SparsityMethod m = BenchJob.methods(options, config, modelName, staticScores, predictors)
                    .get(item.method());
            List<BenchResult> rows = new ArrayList<>();
            if (item.measure().equals(PERPLEXITY)) {
                PerplexityEval.Result r = options.perplexityEval().run(root, sparse, m, text, LOG::info);
                rows.add(BenchJob.result(
                        m,
                        r.headSparsity(),
                        r.neuronSparsity(),
                        "perplexity",
                        "wikitext-2",
                        r.scoredTokens(),
                        r.interval()));
            } else {
                ByteLevelBpeTokenizer tokenizer = TokenizerLoader.load(Path.of(options.model()), config.bosTokenId());
                ZeroShotEval.Result r =
                        ZeroShotEval.run(root, sparse, m, item.task(), tasks.get(item.task()), tokenizer, LOG::info);
                rows.add(BenchJob.result(
                        m,
                        Double.NaN,
                        Double.NaN,
                        "acc",
                        item.task().key(),
                        r.examples(),
                        Bootstrap.accuracy(r.acc(), r.examples())));
                if (!Double.isNaN(r.accNorm())) {
                    rows.add(BenchJob.result(
                            m,
                            Double.NaN,
                            Double.NaN,
                            "acc_norm",
                            item.task().key(),
                            r.examples(),
                            Bootstrap.accuracy(r.accNorm(), r.examples())));
                }
            }
            return new Outcome(item.order(), item.measure(), rows);
        }
    }

    /** The JVM's sparse view of {@code model}, made once: it copies some weights. */
    static SparseOptModel sparse(OptModel model) {
        synchronized (SPARSE) {
            return SPARSE.computeIfAbsent(model, SparseOptModel::new);
        }
    }
}
