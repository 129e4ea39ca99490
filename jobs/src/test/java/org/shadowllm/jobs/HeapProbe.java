package org.shadowllm.jobs;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.SparkSession;

/**
 * Runs the criteria job on tiny-random-opt in this JVM while a sampler collects the heap every 200 ms
 * and records the largest heap a collection left (the live heap); prints {@code peak-live-bytes N}. Started as a child JVM
 * by {@code BoundedMemoryTest}.
 *
 * <p>Arguments: {@code examples-per-set output-folder}.
 */
public final class HeapProbe {
    private HeapProbe() {}

    public static void main(String[] args) throws InterruptedException {
        String examples = args[0];
        String output = args[1];
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
        SparkSession spark = LocalSpark.start(2);
        // the session's own footprint is not the job's: start sampling once it is up
        sampler.start();
        JobRuns.tinyCriteria(
                spark,
                output,
                "--tasks",
                "copa,rte",
                "--shots",
                "0,3",
                "--examples",
                examples,
                "--criteria",
                "l2norm,gradnorm,plainact,fisher,snip,nwot",
                "--chunk",
                "8",
                "--run-id",
                "heap");
        running.set(false);
        sampler.join();
        spark.stop();
        System.out.println("peak-live-bytes " + peak.get());
    }
}
