package org.shadowllm.jobs.criteria;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
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
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptBuilder;
import org.shadowllm.common.tasks.PromptTokens;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.runtime.CodeVersion;
import org.shadowllm.jobs.tables.CriteriaExamplesTable;
import org.shadowllm.jobs.tables.CriteriaManifest;
import org.shadowllm.jobs.tables.CriteriaTables;
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

    private Summary compute(org.shadowllm.jobs.tables.OutputLock lock) {
        long start = System.nanoTime();
        Path modelDir = SharedPaths.require(Path.of(options.model()), "model directory");
        DecoderConfig config = ModelCheckpoint.readConfig(modelDir);
        Tokenizer tokenizer = TokenizerLoader.load(modelDir, config.bosTokenId());
        String modelName = modelDir.toAbsolutePath().normalize().getFileName().toString();
        String fingerprint = ModelFingerprint.of(modelDir);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

        Plan plan = plan(
                options,
                new TaskReader(options.data(), jsc.hadoopConfiguration(), options.maxLineChars()),
                tokenizer,
                config);
        String codeVersion = CodeVersion.current();
        Map<String, String> inputs = inputFingerprints(plan, fingerprint, codeVersion);
        // a run with an injected failure must reach it, so it never skips
        Map<String, PreviousRuns.LastRun> previous = options.force() || options.failAfterExamples() > 0
                ? Map.of()
                : PreviousRuns.lastInputs(jsc.hadoopConfiguration(), options.output(), modelName);
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
        List<MalformedRow> malformed = plan.malformed();
        Map<String, Integer> inputCounts = plan.splitRecords();
        reportMalformed(malformed);
        long total = sets.stream().mapToLong(s -> s.items().size()).sum();
        requireMemory(config, sets);
        LOG.info("criteria {}: {} sets, {} examples, criteria {}", modelName, sets.size(), total, options.criteria());

        String description = "criteria " + modelName + ": " + sets.size() + " task/shot sets, " + total + " examples";
        jsc.setJobDescription(description);
        LongAccumulator progress = jsc.sc().longAccumulator("examples scored");
        Timestamp createdAt = Timestamp.from(Instant.now());
        List<WorkChunk> chunks = new ArrayList<>();
        for (WorkSet set : sets) {
            chunks.addAll(set.chunks(options.chunk()));
        }
        ChunkProcessor processor =
                new ChunkProcessor(options, modelName, fingerprint, codeVersion, createdAt, progress);
        JavaRDD<ChunkProcessor.Output> outputs = jsc.parallelize(chunks, Math.max(1, chunks.size()))
                .map(processor)
                // on disk, not in memory: the job then holds one chunk's rows at a time, whatever the sets' sizes
                .persist(StorageLevel.DISK_ONLY());
        try {
            Dataset<Row> examples = spark.createDataFrame(
                    outputs.flatMap(o -> o.examples().iterator()), CriteriaExamplesTable.schema());
            Dataset<Row> units =
                    spark.createDataFrame(unitRows(outputs, chunks, processor), UnitImportanceTable.schema());
            String staging = StagedCommit.stagingOf(options.output(), options.runId());
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
            long unitRows = chunks.isEmpty()
                    ? 0
                    : spark.read().parquet(staging + "/" + CriteriaTables.UNITS).count();
            double seconds = (System.nanoTime() - start) / 1e9;
            writeManifest(
                    staging,
                    modelDir,
                    fingerprint,
                    config,
                    sets,
                    setSeconds,
                    inputs,
                    kept,
                    inputCounts,
                    malformed,
                    seconds,
                    codeVersion);
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

    /**
     * Per set, a fingerprint of everything its rows depend on: the checkpoint, the task files it reads,
     * the options that change scores, and the code (without its build time).
     */
    private Map<String, String> inputFingerprints(Plan plan, String modelFingerprint, String codeVersion) {
        Map<String, String> out = new LinkedHashMap<>();
        for (WorkSet set : plan.sets()) {
            FewShotTask task = set.task();
            String split = options.split().of(task);
            StringBuilder b = new StringBuilder()
                    .append(modelFingerprint)
                    .append('|')
                    .append(plan.fileDigests().get(task.key() + "/" + split));
            if (set.shots() > 0 && !task.shotSplit().equals(split)) {
                b.append('|').append(plan.fileDigests().get(task.key() + "/" + task.shotSplit()));
            }
            b.append('|')
                    .append(set.shots())
                    .append('|')
                    .append(options.examplesPerSet())
                    .append('|')
                    .append(split)
                    .append('|')
                    .append(options.criteria().stream()
                            .map(ImportanceCriterion::key)
                            .sorted()
                            .toList())
                    .append('|')
                    .append(options.seed())
                    .append('|')
                    .append(options.batchSize())
                    .append('|')
                    .append(codeVersion.replaceFirst(" built .*$", ""));
            out.put(set.label(), sha256(b.toString()));
        }
        return out;
    }

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256")
                                    .digest(s.getBytes(StandardCharsets.UTF_8)),
                            0,
                            16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The work of a run: one set per task and shot count, and the malformed lines met on the way. */
    public record Plan(
            List<WorkSet> sets,
            List<MalformedRow> malformed,
            Map<String, Integer> splitRecords,
            Map<String, String> fileDigests) {}

    /** Reads the tasks, builds and tokenizes every prompt. Deterministic for given options. */
    public static Plan plan(CriteriaJobOptions options, TaskReader reader, Tokenizer tokenizer, DecoderConfig config) {
        List<MalformedRow> malformed = new ArrayList<>();
        PromptBuilder prompts = new PromptBuilder(options.seed());
        List<WorkSet> sets = new ArrayList<>();
        Map<String, Integer> inputCounts = new LinkedHashMap<>();
        Map<String, String> digests = new LinkedHashMap<>();
        for (FewShotTask task : options.tasks()) {
            String split = options.split().of(task);
            TaskReader.Split eval = reader.read(task, split);
            malformed.addAll(eval.malformed());
            digests.put(task.key() + "/" + split, eval.digest());
            List<TaskExample> pool = eval.examples();
            if (!task.shotSplit().equals(split) && options.shots().stream().anyMatch(k -> k > 0)) {
                TaskReader.Split shots = reader.read(task, task.shotSplit());
                malformed.addAll(shots.malformed());
                digests.put(task.key() + "/" + task.shotSplit(), shots.digest());
                pool = shots.examples();
            }
            List<TaskExample> chosen = eval.examples()
                    .subList(
                            0,
                            Math.min(options.examplesPerSet(), eval.examples().size()));
            inputCounts.put(task.key() + "/" + split, eval.examples().size());
            for (int k : options.shots()) {
                List<WorkItem> items = new ArrayList<>(chosen.size());
                for (TaskExample ex : chosen) {
                    try {
                        items.add(tokenize(prompts.build(ex, k, pool), tokenizer, config));
                    } catch (IllegalArgumentException e) {
                        // a prompt that cannot be built or scored counts against --max-malformed like a bad line
                        malformed.add(new MalformedRow(eval.file(), 0, k + "-shot prompt: " + e.getMessage()));
                    }
                }
                sets.add(new WorkSet(task, k, items));
            }
        }
        return new Plan(sets, malformed, inputCounts, digests);
    }

    private static WorkItem tokenize(Prompt p, Tokenizer tokenizer, DecoderConfig config) {
        PromptTokens t = PromptTokens.of(p, tokenizer, config.maxPositionEmbeddings());
        return new WorkItem(p.exampleId(), t.tokens(), t.continuationLength(), t.truncated());
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

    private void writeManifest(
            String staging,
            Path modelDir,
            String fingerprint,
            DecoderConfig config,
            List<WorkSet> sets,
            Map<String, Double> setSeconds,
            Map<String, String> inputs,
            List<CriteriaManifest.SetEntry> kept,
            Map<String, Integer> inputCounts,
            List<MalformedRow> malformed,
            double seconds,
            String codeVersion) {
        List<CriteriaManifest.SetEntry> perSet = new ArrayList<>();
        for (int i = 0; i < sets.size(); i++) {
            WorkSet set = sets.get(i);
            perSet.add(CriteriaManifest.SetEntry.computed(
                    set.label(),
                    set.items().size(),
                    set.items().stream().filter(w -> w.truncatedTokens() > 0).count(),
                    setSeconds.getOrDefault(set.label(), 0.0),
                    inputs.get(set.label())));
        }
        perSet.addAll(kept);
        CriteriaManifest m = new CriteriaManifest(
                options.runId(),
                codeVersion,
                Instant.now().toString(),
                seconds,
                new CriteriaManifest.Inputs(
                        modelDir.toAbsolutePath().toString(), fingerprint, config, options.data(), inputCounts),
                new CriteriaManifest.Options(
                        options.tasks().stream().map(FewShotTask::key).toList(),
                        List.copyOf(options.shots()),
                        options.examplesPerSet(),
                        options.split().name().toLowerCase(java.util.Locale.ROOT),
                        options.criteria().stream()
                                .sorted()
                                .map(ImportanceCriterion::key)
                                .toList(),
                        options.batchSize(),
                        options.chunk(),
                        options.device(),
                        options.seed(),
                        spark.sparkContext().master()),
                perSet,
                malformed.stream().map(MalformedRow::toString).toList());
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(staging + "/" + CriteriaTables.MANIFESTS);
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir, options.runId() + ".json");
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "." + options.runId() + ".json.tmp");
        try {
            FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
            fs.mkdirs(dir);
            try (FSDataOutputStream out = fs.create(tmp, true)) {
                out.write(m.toJson().getBytes(StandardCharsets.UTF_8));
            }
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) {
                throw new IOException("rename of " + tmp + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest " + file, e);
        }
    }
}
