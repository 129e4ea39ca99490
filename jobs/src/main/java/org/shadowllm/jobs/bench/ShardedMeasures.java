package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.common.tasks.FewShotTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's side of {@link SpreadMeasures}: cuts each measurement into Spark tasks of at most
 * {@code --shard} windows or examples, runs them, and hands back each measurement's shards.
 */
final class ShardedMeasures {
    private static final Logger LOG = LoggerFactory.getLogger(ShardedMeasures.class);
    /** How often a running measure reports its finished shards. */
    static final long EVERY_SECONDS = 60;

    /** One measurement to spread: a method (by index), the task for accuracy, and its windows or examples. */
    record Measurement(int method, FewShotTask task, int count) {}

    private final SparkSession spark;
    private final SpreadMeasures work;
    private final int shard;
    private final String model;

    ShardedMeasures(SparkSession spark, SpreadMeasures work, int shard, String model) {
        this.spark = spark;
        this.work = work;
        this.shard = shard;
        this.model = model;
    }

    /** Per measurement, in the order given, its shards' outcomes. */
    List<List<SpreadMeasures.Outcome>> run(Measure measure, List<Measurement> measurements) {
        List<SpreadMeasures.Item> items = new ArrayList<>();
        for (int order = 0; order < measurements.size(); order++) {
            Measurement m = measurements.get(order);
            for (int from = 0; from < m.count(); from += shard) {
                items.add(new SpreadMeasures.Item(
                        order, m.method(), measure, m.task(), from, Math.min(m.count(), from + shard)));
            }
        }
        List<List<SpreadMeasures.Outcome>> out = new ArrayList<>();
        if (items.isEmpty()) {
            return out;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("bench " + model + ": " + measurements.size() + " " + measure.label()
                + " measurements in " + items.size() + " shards");
        LongAccumulator done = jsc.sc().longAccumulator(measure.key() + " shards done");
        SpreadMeasures shard = work;
        Map<Integer, List<SpreadMeasures.Outcome>> byMeasurement = new TreeMap<>();
        try (Progress progress = new Progress(measure, done, items.size())) {
            for (SpreadMeasures.Outcome o : jsc.parallelize(items, items.size())
                    .map(item -> {
                        SpreadMeasures.Outcome outcome = shard.call(item);
                        done.add(1);
                        return outcome;
                    })
                    .collect()) {
                byMeasurement
                        .computeIfAbsent(o.item().order(), k -> new ArrayList<>())
                        .add(o);
            }
        }
        out.addAll(byMeasurement.values());
        return out;
    }

    /** Logs a measure's finished shards every {@link #EVERY_SECONDS} while it runs: a long measure is not silent. */
    private static final class Progress implements AutoCloseable {
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });

        Progress(Measure measure, LongAccumulator done, int shards) {
            long start = System.nanoTime();
            timer.scheduleAtFixedRate(
                    () -> LOG.info(
                            "{}: {}/{} shards done, {} s",
                            measure.label(),
                            done.value(),
                            shards,
                            String.format("%.0f", (System.nanoTime() - start) / 1e9)),
                    EVERY_SECONDS,
                    EVERY_SECONDS,
                    TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
