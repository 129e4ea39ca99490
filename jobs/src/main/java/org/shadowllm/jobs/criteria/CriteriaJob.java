package org.shadowllm.jobs.criteria;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.runtime.CodeVersion;
import org.shadowllm.jobs.tables.CriteriaExamplesTable;
import org.shadowllm.jobs.tables.CriteriaManifest;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.OutputLock;
import org.shadowllm.jobs.tables.PartitionWriter;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.jobs.tables.UnitImportanceTable;
import org.shadowllm.jobs.tasks.MalformedRow;
import org.shadowllm.jobs.tasks.TaskReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple2;

/**
 * The criteria job: reads the tasks on the driver, builds and tokenizes few-shot prompts, scores one
 * task × shot set per Spark partition on the executors, and writes {@code criteria_examples} and
 * {@code unit_importance} (partitioned by model, task, shots; dynamic partition overwrite), then a
 * run manifest. Run it with spark-submit, or directly for an embedded {@code local[*]} Spark.
 */
public final class CriteriaJob {
    private static final Logger LOG = LoggerFactory.getLogger(CriteriaJob.class);

    /** What a run did. */
    public record Summary(
            String runId,
            String model,
            int sets,
            long examples,
            long unitRows,
            int malformed,
            double seconds,
            String output) {}

    private final SparkSession spark;
    private final CriteriaJobOptions options;

    public CriteriaJob(SparkSession spark, CriteriaJobOptions options) {
        this.spark = spark;
        this.options = options;
    }

    public static void main(String[] args) {
        JobLauncher.main(
                "criteria",
                "shadowllm-criteria",
                args,
                CriteriaJobOptions::parse,
                CriteriaJobOptions::master,
                (spark, options) -> {
                    Summary s = new CriteriaJob(spark, options).run();
                    return String.format(
                            "criteria job %s done: %d sets, %d examples, %d unit rows, %d malformed lines, "
                                    + "%.1f s -> %s%n",
                            s.runId(), s.sets(), s.examples(), s.unitRows(), s.malformed(), s.seconds(), s.output());
                });
    }

    /** Runs the job holding its output's lock: a second run on the same output fails at once. */
    public Summary run() {
        return CriteriaTables.COMMIT.runExclusively(
                spark.sparkContext().hadoopConfiguration(),
                options.output(),
                options.runId(),
                options.releaseLock(),
                run -> LOG.warn("finished the commit of criteria run {}, which was killed while committing", run),
                this::compute);
    }

    /** The sets a run scores, and the manifest entries of those it keeps from an earlier run. */
    private record Work(List<WorkSet> scored, List<CriteriaManifest.SetEntry> kept) {}

    private Summary compute(OutputLock lock) {
        long start = System.nanoTime();
        Path modelDir = SharedPaths.require(Path.of(options.model()), "model directory");
        DecoderConfig config = ModelCheckpoint.readConfig(modelDir);
        Tokenizer tokenizer = TokenizerLoader.load(modelDir, config.bosTokenId());
        String modelName = modelDir.toAbsolutePath().normalize().getFileName().toString();
        String fingerprint = ModelFingerprint.of(modelDir);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

        WorkPlan plan = WorkPlan.of(
                options,
                new TaskReader(options.data(), jsc.hadoopConfiguration(), options.maxLineChars()),
                tokenizer,
                config);
        String codeVersion = CodeVersion.current();
        Map<String, String> inputs = plan.inputFingerprints(options, fingerprint, codeVersion);
        Work work = skipUnchanged(plan, inputs, modelName);
        List<WorkSet> sets = work.scored();
        List<MalformedRow> malformed = plan.malformed();
        reportMalformed(malformed);
        long total = sets.stream().mapToLong(s -> s.items().size()).sum();
        requireMemory(config, sets);
        LOG.info(
                "criteria {}: {} sets, {} examples, criteria {}",
                modelName,
                sets.size(),
                total,
                options.criteria().stream().map(ImportanceCriterion::key).toList());

        String description = "criteria " + modelName + ": " + sets.size() + " task/shot sets, " + total + " examples";
        jsc.setJobDescription(description);
        LongAccumulator progress = jsc.sc().longAccumulator("examples scored");
        Timestamp createdAt = Timestamp.from(Instant.now());
        List<WorkChunk> chunks = chunks(sets);
        ChunkProcessor processor =
                new ChunkProcessor(options, modelName, fingerprint, codeVersion, createdAt, progress);
        JavaRDD<ChunkProcessor.Output> outputs = jsc.parallelize(chunks, Math.max(1, chunks.size()))
                .map(processor)
                // on disk, not in memory: the job then holds one chunk's rows at a time, whatever the sets' sizes
                .persist(StorageLevel.DISK_ONLY());
        try {
            String staging = StagedCommit.stagingOf(options.output(), options.runId());
            Map<String, Double> setSeconds = writeTables(outputs, chunks, processor, staging, description);
            long unitRows = unitRows(staging, chunks);
            double seconds = (System.nanoTime() - start) / 1e9;
            RunManifest.write(
                    jsc.hadoopConfiguration(),
                    staging,
                    new CriteriaManifest(
                            options.runId(),
                            codeVersion,
                            Instant.now().toString(),
                            seconds,
                            new CriteriaManifest.Inputs(
                                    modelDir.toAbsolutePath().toString(),
                                    fingerprint,
                                    config,
                                    options.data(),
                                    plan.splitRecords()),
                            RunManifest.options(options, spark.sparkContext().master()),
                            RunManifest.sets(sets, setSeconds, inputs, work.kept()),
                            malformed.stream().map(MalformedRow::toString).toList()));
            CriteriaTables.COMMIT.commit(lock);
            return new Summary(
                    options.runId(),
                    modelName,
                    sets.size(),
                    progress.value(),
                    unitRows,
                    malformed.size(),
                    seconds,
                    options.output());
        } finally {
            // blocking: an asynchronous removal still deleting blocks when the launcher stops Spark
            // fails there, logging "could not be removed" and a RejectedExecutionException per block
            outputs.unpersist(true);
        }
    }

    /** Each set's examples in chunks of at most {@code --chunk}, one Spark task each. */
    private List<WorkChunk> chunks(List<WorkSet> sets) {
        List<WorkChunk> chunks = new ArrayList<>();
        for (WorkSet set : sets) {
            chunks.addAll(set.chunks(options.chunk()));
        }
        return chunks;
    }

    /** The staged unit table's rows (none when no chunk ran, so none was written). */
    private long unitRows(String staging, List<WorkChunk> chunks) {
        return chunks.isEmpty()
                ? 0
                : spark.read().parquet(staging + "/" + CriteriaTables.UNITS).count();
    }

    /**
     * The plan's sets less those whose inputs match the last committed run's (unless {@code --force});
     * a run with an injected failure must reach it, so it never skips.
     */
    private Work skipUnchanged(WorkPlan plan, Map<String, String> inputs, String modelName) {
        Map<String, PreviousRuns.LastRun> previous = options.force() || options.failAfterExamples() > 0
                ? Map.of()
                : PreviousRuns.lastInputs(spark.sparkContext().hadoopConfiguration(), options.output(), modelName);
        List<WorkSet> sets = new ArrayList<>();
        List<CriteriaManifest.SetEntry> kept = new ArrayList<>();
        for (WorkSet set : plan.sets()) {
            PreviousRuns.LastRun last = previous.get(set.label());
            if (last != null && last.inputFingerprint().equals(inputs.get(set.label()))) {
                LOG.info(
                        "skipping {}: its inputs are unchanged since run {} (--force true recomputes it)",
                        set.label(),
                        last.runId());
                kept.add(CriteriaManifest.SetEntry.kept(set.label(), last.inputFingerprint(), last.runId()));
            } else {
                sets.add(set);
            }
        }
        return new Work(sets, kept);
    }

    /** Writes both tables' rows into the run's staging folder; returns each scored set's seconds. */
    private Map<String, Double> writeTables(
            JavaRDD<ChunkProcessor.Output> outputs,
            List<WorkChunk> chunks,
            ChunkProcessor processor,
            String staging,
            String description) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Dataset<Row> examples =
                spark.createDataFrame(outputs.flatMap(o -> o.examples().iterator()), CriteriaExamplesTable.schema());
        Dataset<Row> units = spark.createDataFrame(unitRows(outputs, chunks, processor), UnitImportanceTable.schema());
        jsc.setJobDescription(description + ": writing " + CriteriaTables.EXAMPLES);
        write(examples, staging, CriteriaTables.EXAMPLES);
        jsc.setJobDescription(description + ": writing " + CriteriaTables.UNITS);
        write(units, staging, CriteriaTables.UNITS);
        Map<String, Double> setSeconds = new LinkedHashMap<>();
        for (Tuple2<String, Double> t : outputs.mapToPair(o -> new Tuple2<>(o.set(), o.seconds()))
                .reduceByKey(Double::sum)
                .collect()) {
            setSeconds.put(t._1(), t._2());
        }
        return setSeconds;
    }

    /**
     * Each set's unit rows. The chunks of a set are consecutive partitions of {@code outputs}, so one
     * partition per set reads them back in set order (no shuffle) and merges their parts as they come:
     * one running part and one chunk in memory at a time, however many chunks a set has.
     */
    private static JavaRDD<Row> unitRows(
            JavaRDD<ChunkProcessor.Output> outputs, List<WorkChunk> chunks, ChunkProcessor processor) {
        List<WorkSet> scored = new ArrayList<>();
        List<Integer> chunksPerSet = new ArrayList<>();
        for (WorkChunk c : chunks) {
            if (c.first() == 0) {
                scored.add(new WorkSet(c.task(), c.shots(), List.of()));
                chunksPerSet.add(1);
            } else {
                chunksPerSet.set(chunksPerSet.size() - 1, chunksPerSet.get(chunksPerSet.size() - 1) + 1);
            }
        }
        if (scored.isEmpty()) {
            return JavaSparkContext.fromSparkContext(outputs.context()).emptyRDD();
        }
        RDD<ChunkProcessor.Output> bySet =
                outputs.rdd().coalesce(scored.size(), false, Option.apply(new SetCoalescer(chunksPerSet)), null);
        return JavaRDD.fromRDD(bySet, outputs.classTag())
                .mapPartitionsWithIndex(
                        (index, parts) -> {
                            WorkSet set = scored.get(index);
                            SetPartial all = null;
                            while (parts.hasNext()) {
                                ChunkProcessor.Output o = parts.next();
                                if (!o.set().equals(set.label())) {
                                    throw new IllegalStateException(
                                            "chunk of " + o.set() + " met while merging " + set.label());
                                }
                                if (all == null) {
                                    all = o.partial();
                                } else {
                                    all.merge(o.partial());
                                }
                            }
                            return processor
                                    .unitRows(set.task(), set.shots(), all)
                                    .iterator();
                        },
                        false);
    }

    /** Says what the run needs from the config's shape and the longest prompt; refuses one that cannot fit here. */
    private void requireMemory(DecoderConfig config, List<WorkSet> sets) {
        int longest = sets.stream()
                .flatMap(s -> s.items().stream())
                .mapToInt(w -> w.tokens().length)
                .max()
                .orElse(0);
        if (longest == 0) {
            return;
        }
        boolean local = spark.sparkContext().master().startsWith("local");
        long physical = ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        String said = ExecutorMemory.of(config, options.criteria(), options.batchSize(), longest)
                .require(Runtime.getRuntime().maxMemory(), physical, options.criteria(), local);
        if (said.startsWith("memory may be short")) {
            LOG.warn("{}", said);
        } else {
            LOG.info("{}", said);
        }
    }

    private void reportMalformed(List<MalformedRow> malformed) {
        for (MalformedRow m : malformed.subList(0, Math.min(20, malformed.size()))) {
            LOG.warn("malformed input line {}", m);
        }
        if (malformed.size() > options.maxMalformed()) {
            StringBuilder sb = new StringBuilder();
            sb.append(malformed.size())
                    .append(" malformed input line(s), more than --max-malformed ")
                    .append(options.maxMalformed())
                    .append(":");
            malformed.stream().limit(10).forEach(m -> sb.append("\n  ").append(m));
            if (malformed.size() > 10) {
                sb.append("\n  ...");
            }
            throw new IllegalArgumentException(sb.toString());
        }
    }

    private void write(Dataset<Row> rows, String staging, String table) {
        PartitionWriter.replacePartitions(rows, staging + "/" + table, CriteriaTables.PARTITIONS);
    }
}
