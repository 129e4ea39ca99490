package org.shadowllm.jobs.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.sql.Timestamp;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.jobs.tables.CriteriaExamplesTable;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.train.TrainerJob;
import org.shadowllm.jobs.train.TrainerJobOptions;

/**
 * Runs one job in this JVM while a sampler collects the heap every 200 ms and records the largest heap
 * a collection left (the live heap); prints {@code peak-live-bytes N}. Started as a child JVM by
 * {@code BoundedMemoryTest}.
 *
 * <p>Arguments: {@code criteria examples-per-set output-folder}: the criteria job on tiny-random-opt;
 * or {@code trainer rows output-folder}: the trainer on a synthetic {@code criteria_examples} table of
 * that many rows, written before sampling starts.
 */
public final class HeapProbe {
    /** The synthetic table's model: rows of about 66 KB, as wide as the trainer's tests need. */
    static final int LAYERS = 4;

    static final int HEADS = 8;
    static final int FFN = 2048;
    static final int HIDDEN = 512;
    /** Rows per written file, whatever the table's size, so that no Parquet row group grows with it. */
    static final int ROWS_PER_FILE = 25;

    private HeapProbe() {}

    public static void main(String[] args) throws InterruptedException {
        String job = args[0];
        int count = Integer.parseInt(args[1]);
        String output = args[2];
        // Spark's own working pages (16 MiB each by default at this heap, one per aggregating task) are
        // taken 1 MiB at a time, so that a sample catching a query mid-aggregation measures the jobs'
        // memory and not a page that any table size would allocate.
        SparkSession spark = LocalSpark.start(2, "spark.buffer.pageSize", "1m");
        Runnable run =
                switch (job) {
                    case "criteria" -> () -> criteria(spark, count, output);
                    case "trainer" -> {
                        writeSyntheticTable(spark, count, output + "/criteria");
                        yield () -> trainer(spark, output);
                    }
                    default -> throw new IllegalArgumentException("unknown job " + job);
                };
        // the session's own footprint is not the job's: sampling starts once it is up
        long peak = peakLiveHeapWhile(run);
        spark.stop();
        System.out.println("peak-live-bytes " + peak);
    }

    private static void criteria(SparkSession spark, int examples, String output) {
        JobRuns.tinyCriteria(
                spark,
                output,
                "--tasks",
                "copa,rte",
                "--shots",
                "0,3",
                "--examples",
                Integer.toString(examples),
                "--criteria",
                "l2norm,gradnorm,plainact,fisher,snip,nwot",
                "--chunk",
                "8",
                "--run-id",
                "heap");
    }

    private static void trainer(SparkSession spark, String output) {
        new TrainerJob(spark, TrainerJobOptions.parse(new String[] {
                    "--input", output + "/criteria",
                    "--output", output + "/train",
                    "--predictors", "shadowllm,dejavu",
                    "--epochs", "2",
                    "--hidden", "32",
                    "--run-id", "heap"
                }))
                .run();
    }

    /**
     * {@code rows} rows of random plainact scores and features, made on the executors as they are
     * written (never all in one place), in files of {@link #ROWS_PER_FILE} rows.
     */
    static void writeSyntheticTable(SparkSession spark, int rows, String output) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int files = Math.max(1, rows / ROWS_PER_FILE);
        List<Integer> ids = IntStream.range(0, rows).boxed().toList();
        Timestamp now = new Timestamp(System.currentTimeMillis());
        var table = jsc.parallelize(ids, files).map(i -> CriteriaExamplesTable.COLUMNS.row(example(i, now)));
        spark.createDataFrame(table, CriteriaExamplesTable.schema())
                .write()
                .partitionBy("model", "task", "shots")
                .parquet(output + "/" + CriteriaExamplesTable.NAME);
    }

    private static CriteriaExamplesTable.Example example(int i, Timestamp createdAt) {
        SplittableRandom rnd = new SplittableRandom(i);
        int e = LAYERS * HIDDEN;
        Map<ImportanceCriterion, float[]> heads = new EnumMap<>(ImportanceCriterion.class);
        Map<ImportanceCriterion, float[]> neurons = new EnumMap<>(ImportanceCriterion.class);
        heads.put(ImportanceCriterion.PLAINACT, random(rnd, LAYERS * HEADS));
        neurons.put(ImportanceCriterion.PLAINACT, random(rnd, LAYERS * FFN));
        return new CriteriaExamplesTable.Example(
                new CriteriaTables.Provenance("synthetic", "synthetic-fingerprint", "synthetic", createdAt),
                new CriteriaTables.Partition("synthetic-opt", "copa", (i % 2) * 3),
                "ex" + (i / 2),
                new CriteriaExamplesTable.TokenCounts(10, 1, 0),
                1.0,
                new CriteriaExamplesTable.Features(random(rnd, e), random(rnd, e), random(rnd, e), random(rnd, e)),
                heads,
                neurons,
                new CriteriaExamplesTable.ModelShape(LAYERS, HEADS, FFN, HIDDEN));
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
            v[k] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** Runs {@code body} while sampling what each full collection leaves; returns the largest. */
    static long peakLiveHeapWhile(Runnable body) throws InterruptedException {
        AtomicLong peak = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                System.gc();
                // what the collection left (recorded at its end), not what other threads allocated since
                long used = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                        used += pool.getCollectionUsage().getUsed();
                    }
                }
                peak.accumulateAndGet(used, Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        try {
            body.run();
        } finally {
            running.set(false);
            sampler.join();
        }
        return peak.get();
    }
}
