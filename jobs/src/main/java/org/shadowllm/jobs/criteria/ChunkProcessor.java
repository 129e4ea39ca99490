package org.shadowllm.jobs.criteria;

import ai.djl.Device;
import java.io.Serializable;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.criteria.SetLevelCriteria;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.runtime.ExecutorModels;
import org.shadowllm.jobs.tables.CriteriaExamplesTable;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.UnitImportanceTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on an executor: scores the examples of one chunk into their rows and into the chunk's part of
 * its set's statistics. {@link #unitRows} turns a set's parts, merged in set order, into its unit rows.
 */
final class ChunkProcessor implements Function<WorkChunk, ChunkProcessor.Output> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChunkProcessor.class);

    /** The example rows of one chunk, its part of the set's statistics, and how long it took. */
    record Output(String set, int first, List<Row> examples, SetPartial partial, double seconds)
            implements Serializable {}

    private final CriteriaJobOptions options;
    private final String modelName;
    private final String codeVersion;
    private final String modelFingerprint;
    private final Timestamp createdAt;
    private final LongAccumulator progress;

    ChunkProcessor(
            CriteriaJobOptions options,
            String modelName,
            String modelFingerprint,
            String codeVersion,
            Timestamp createdAt,
            LongAccumulator progress) {
        this.options = options;
        this.modelName = modelName;
        this.modelFingerprint = modelFingerprint;
        this.codeVersion = codeVersion;
        this.createdAt = createdAt;
        this.progress = progress;
    }

    @Override
    public Output call(WorkChunk chunk) {
        long start = System.nanoTime();
        DecoderModel model = ExecutorModels.get(
                options.model(),
                modelFingerprint,
                device(),
                options.threads() > 0 ? options.threads() : executorCores());
        DecoderConfig c = model.config();
        CriteriaCalculator calc = new CriteriaCalculator(model);
        CriteriaOptions opts = new CriteriaOptions(options.criteria(), false, true);
        SetPartial partial = new SetPartial(c, options.criteria(), options.seed(), chunk.first());
        List<WorkItem> items = chunk.items();
        List<Row> exampleRows = new ArrayList<>(items.size());
        for (int from = 0; from < items.size(); from += options.batchSize()) {
            List<WorkItem> batchItems = items.subList(from, Math.min(items.size(), from + options.batchSize()));
            List<ScoredExample> batch = new ArrayList<>(batchItems.size());
            for (WorkItem w : batchItems) {
                batch.add(new ScoredExample(w.exampleId(), w.tokens(), w.continuationLength()));
            }
            List<ExampleImportance> results = calc.compute(batch, opts);
            for (int i = 0; i < results.size(); i++) {
                ExampleImportance r = results.get(i);
                for (ImportanceCriterion crit : options.criteria()) {
                    requireFinite(chunk.label(), batchItems.get(i), crit, "head", r.head(crit));
                    requireFinite(chunk.label(), batchItems.get(i), crit, "neuron", r.neuron(crit));
                }
                partial.add(batch.get(i), r);
                exampleRows.add(exampleRow(chunk, batchItems.get(i), r, c));
            }
            int done = chunk.first() + from + batchItems.size();
            progress.add(batchItems.size());
            if (options.failAfterExamples() > 0 && done >= options.failAfterExamples()) {
                throw new IllegalStateException(
                        "injected failure after " + done + " examples of " + chunk.label() + " (--fail-after)");
            }
            int before = done - batchItems.size();
            if (done / options.logEvery() > before / options.logEvery() || done == chunk.setSize()) {
                LOG.info(
                        "criteria {}: {}/{} examples, chunk from {} at {} s",
                        chunk.label(),
                        done,
                        chunk.setSize(),
                        chunk.first(),
                        String.format("%.1f", (System.nanoTime() - start) / 1e9));
            }
        }
        return new Output(chunk.label(), chunk.first(), exampleRows, partial, (System.nanoTime() - start) / 1e9);
    }

    private Device device() {
        DeviceSpec spec = DeviceSpec.parse(options.device());
        TaskContext ctx = TaskContext.get();
        if (spec.kind() == DeviceSpec.Kind.AUTO && ctx != null) {
            scala.Option<ResourceInformation> gpu = ctx.resources().get("gpu");
            if (gpu.isDefined() && gpu.get().addresses().length > 0) {
                return DeviceSpec.forGpuAddress(gpu.get().addresses()[0], System.getenv("CUDA_VISIBLE_DEVICES"))
                        .resolve();
            }
        }
        return spec.resolve();
    }

    private static int executorCores() {
        int all = Runtime.getRuntime().availableProcessors();
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? all : coresOf(env.conf(), all);
    }

    /** Cores an executor may use: spark.executor.cores, or N of local[N] (at most {@code all}), else all. */
    static int coresOf(org.apache.spark.SparkConf conf, int all) {
        if (conf.contains("spark.executor.cores")) {
            return conf.getInt("spark.executor.cores", all);
        }
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("local\\[(\\d+)(,\\d+)?]").matcher(conf.get("spark.master", ""));
        return m.matches() ? Math.min(all, Integer.parseInt(m.group(1))) : all;
    }

    /** A non-finite score would turn every statistic of its unit into NaN: stop, naming where it came from. */
    static void requireFinite(String set, WorkItem w, ImportanceCriterion crit, String unitType, float[][] scores) {
        for (int l = 0; l < scores.length; l++) {
            for (int u = 0; u < scores[l].length; u++) {
                if (!Float.isFinite(scores[l][u])) {
                    throw new IllegalStateException(set + " example '" + w.exampleId() + "': " + crit.key()
                            + " of layer " + l + " " + unitType + " " + u + " is " + scores[l][u]
                            + "; the model's activations or gradients overflowed");
                }
            }
        }
    }

    private Row exampleRow(WorkChunk chunk, WorkItem w, ExampleImportance r, DecoderConfig c) {
        Map<ImportanceCriterion, float[]> heads = new EnumMap<>(ImportanceCriterion.class);
        Map<ImportanceCriterion, float[]> neurons = new EnumMap<>(ImportanceCriterion.class);
        for (ImportanceCriterion crit : r.heads().keySet()) {
            heads.put(crit, flatten(r.head(crit)));
        }
        for (ImportanceCriterion crit : r.neurons().keySet()) {
            neurons.put(crit, flatten(r.neuron(crit)));
        }
        return CriteriaExamplesTable.COLUMNS.row(new CriteriaExamplesTable.Example(
                provenance(),
                partition(chunk.task(), chunk.shots()),
                w.exampleId(),
                new CriteriaExamplesTable.TokenCounts(r.inputTokens(), w.continuationLength(), w.truncatedTokens()),
                r.loss(),
                new CriteriaExamplesTable.Features(
                        flatten(r.attnContextLast()),
                        flatten(r.residualInLast()),
                        flatten(r.attnContextPlan()),
                        flatten(r.residualInPlan())),
                heads,
                neurons,
                CriteriaExamplesTable.ModelShape.of(c)));
    }

    /** Which run, checkpoint and code wrote the rows, and when: the same for every row of a run. */
    private CriteriaTables.Provenance provenance() {
        return new CriteriaTables.Provenance(options.runId(), modelFingerprint, codeVersion, createdAt);
    }

    private CriteriaTables.Partition partition(FewShotTask task, int shots) {
        return new CriteriaTables.Partition(modelName, task.key(), shots);
    }

    /** The set-level criteria: one score per head from a whole set, written under their key. */
    private enum SetLevelScore {
        JACOV("jacov") {
            @Override
            double[][] of(SetLevelCriteria.Result r) {
                return r.jacov();
            }
        },
        EPENAS("epenas") {
            @Override
            double[][] of(SetLevelCriteria.Result r) {
                return r.epenas();
            }
        };

        final String key;

        SetLevelScore(String key) {
            this.key = key;
        }

        /** Per layer and head. */
        abstract double[][] of(SetLevelCriteria.Result r);
    }

    /** The unit rows of set {@code task}/{@code shots} from all of its examples' statistics. */
    List<Row> unitRows(FewShotTask task, int shots, SetPartial all) {
        CriteriaTables.Provenance provenance = provenance();
        CriteriaTables.Partition partition = partition(task, shots);
        List<Row> rows = new ArrayList<>();
        for (ImportanceCriterion crit : ImportanceCriterion.values()) {
            if (!options.criteria().contains(crit)) {
                continue;
            }
            addStats(rows, provenance, partition, crit.key(), "head", all.heads(crit));
            addStats(rows, provenance, partition, crit.key(), "neuron", all.neurons(crit));
        }
        SetLevelCriteria.Result setLevel = all.setLevel();
        for (int l = 0; l < setLevel.jacov().length; l++) {
            for (int h = 0; h < setLevel.jacov()[l].length; h++) {
                for (SetLevelScore score : SetLevelScore.values()) {
                    rows.add(UnitImportanceTable.COLUMNS.row(new UnitImportanceTable.Unit(
                            provenance,
                            partition,
                            new UnitImportanceTable.UnitId(score.key, l, "head", h),
                            UnitImportanceTable.Scores.setLevel(
                                    setLevel.examples(), finite(score.of(setLevel)[l][h])))));
                }
            }
        }
        return rows;
    }

    private static void addStats(
            List<Row> rows,
            CriteriaTables.Provenance provenance,
            CriteriaTables.Partition partition,
            String crit,
            String type,
            UnitStatistics s) {
        for (int l = 0; l < s.layers(); l++) {
            for (int u = 0; u < s.units(); u++) {
                double mean = s.mean(l, u);
                rows.add(UnitImportanceTable.COLUMNS.row(new UnitImportanceTable.Unit(
                        provenance,
                        partition,
                        new UnitImportanceTable.UnitId(crit, l, type, u),
                        new UnitImportanceTable.Scores(
                                s.examples(), mean, s.std(l, u), s.meanRank(l, u), s.rankVariance(l, u), mean))));
            }
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static float[] flatten(float[][] a) {
        int n = 0;
        for (float[] r : a) {
            n += r.length;
        }
        float[] out = new float[n];
        int p = 0;
        for (float[] r : a) {
            System.arraycopy(r, 0, out, p, r.length);
            p += r.length;
        }
        return out;
    }
}
