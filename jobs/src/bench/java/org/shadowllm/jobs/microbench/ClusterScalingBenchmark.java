package org.shadowllm.jobs.microbench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.jobs.cli.StandaloneCluster;
import org.shadowllm.jobs.tables.CriteriaManifest;

/**
 * Criteria job throughput on a standalone Spark cluster with one worker against two (one core, one
 * executor JVM each), submitted with the shaded jar as spark-submit does. Rounds alternate 1, 2, 1,
 * 2, ... so drift on the machine hits both alike. Examples per second come from each run's manifest
 * (the job's own wall time, from planning to commit; JVM start-up and executor launch excluded).
 * Not a test; needs {@code mvn -B -DskipTests package} first.
 *
 * <p>Arguments: {@code [examples per set=8] [rounds=2] [model=opt-mini-trained]}.
 */
public final class ClusterScalingBenchmark {
    private ClusterScalingBenchmark() {}

    public static void main(String[] args) throws IOException {
        int examples = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path model = SharedPaths.model(args.length > 2 ? args[2] : "opt-mini-trained");
        StandaloneCluster.Build build = StandaloneCluster.Build.fromSystemProperties();
        Path dir = Files.createTempDirectory("cluster-scaling");
        Map<Integer, List<Double>> rates = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (int workers : new int[] {1, 2}) {
                Path at = dir.resolve("r" + round + "-w" + workers);
                Files.createDirectories(at);
                try (StandaloneCluster cluster =
                        StandaloneCluster.start(build, at.resolve("cluster"), workers, 1, "3g")) {
                    String run = "scaling-" + round + "-" + workers;
                    Path out = at.resolve("out");
                    Map<String, String> conf = new LinkedHashMap<>();
                    conf.put("spark.executor.cores", "1");
                    conf.put("spark.executor.memory", "2g");
                    conf.put("spark.cores.max", Integer.toString(workers));
                    conf.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
                    conf.put("spark.ui.enabled", "false");
                    int rc = cluster.run(
                            "org.shadowllm.jobs.criteria.CriteriaJob",
                            conf,
                            List.of(
                                    "--model",
                                    model.toString(),
                                    "--data",
                                    SharedPaths.root().resolve("data/tasks").toString(),
                                    "--output",
                                    out.toString(),
                                    "--shots",
                                    "0",
                                    "--examples",
                                    Integer.toString(examples),
                                    "--batch-size",
                                    "4",
                                    "--chunk",
                                    "4",
                                    "--threads",
                                    "1",
                                    "--run-id",
                                    run),
                            at.resolve("driver.log"),
                            1800);
                    if (rc != 0) {
                        throw new IllegalStateException(
                                "run " + run + " failed:\n" + StandaloneCluster.tail(at.resolve("driver.log")));
                    }
                    Path manifest = out.resolve("manifests").resolve(run + ".json");
                    CriteriaManifest m = CriteriaManifest.fromJson(Files.readString(manifest), manifest.toString());
                    long n = m.sets().stream()
                            .mapToLong(CriteriaManifest.SetEntry::examples)
                            .sum();
                    double rate = n / m.seconds();
                    rates.computeIfAbsent(workers, k -> new ArrayList<>()).add(rate);
                    System.out.printf(
                            "round %d, %d worker(s): %d examples in %.1f s, %.2f examples/s%n",
                            round, workers, n, m.seconds(), rate);
                }
            }
        }
        double one = mean(rates.get(1));
        double two = mean(rates.get(2));
        System.out.printf(
                "%s, %d examples per set, 7 tasks, 0-shot, all criteria: 1 worker %.2f examples/s, "
                        + "2 workers %.2f examples/s, ratio %.2f (%d core(s) on this machine)%n",
                model.getFileName(),
                examples,
                one,
                two,
                two / one,
                Runtime.getRuntime().availableProcessors());
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }
}
