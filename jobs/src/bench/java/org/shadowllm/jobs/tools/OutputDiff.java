package org.shadowllm.jobs.tools;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.jobs.cli.JobLauncher;

/**
 * Compares two pipeline outputs (criteria, trainer, bench folders under one root each) row for row,
 * leaving out what legitimately differs between runs: run ids, timestamps, the code version, and the
 * bench's timing rows (measures in ms).
 * Columns only the second output has (added by a change) are listed, not compared; a column the
 * second lacks counts as a difference. Exit status 1 when anything else differs. Used to prove a refactoring changed no result.
 */
public final class OutputDiff {
    private static final Pattern VOLATILE =
            Pattern.compile("run_id|created_at|code_version|.*seconds.*|.*_ms|.*duration.*");
    private static final List<String> TABLES = List.of(
            "criteria/criteria_examples",
            "criteria/unit_importance",
            "trainer/predictor_metrics",
            "bench/bench_results");

    private OutputDiff() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: OutputDiff <root-a> <root-b>");
            System.exit(2);
        }
        SparkSession spark = JobLauncher.session("local[2]", new SparkConf().set("spark.ui.enabled", "false"));
        boolean same = true;
        for (String t : TABLES) {
            Dataset<Row> rawA = spark.read().parquet(args[0] + "/" + t);
            Dataset<Row> rawB = spark.read().parquet(args[1] + "/" + t);
            List<String> common = new ArrayList<>(List.of(rawA.columns()));
            common.retainAll(List.of(rawB.columns()));
            List<String> added = new ArrayList<>(List.of(rawB.columns()));
            added.removeAll(common);
            List<String> dropped = new ArrayList<>(List.of(rawA.columns()));
            dropped.removeAll(common);
            if (!added.isEmpty() || !dropped.isEmpty()) {
                System.out.printf("%-28s columns only in b %s, only in a %s (not compared)%n", t, added, dropped);
            }
            same &= dropped.isEmpty();
            Dataset<Row> a = stable(rawA, common);
            Dataset<Row> b = stable(rawB, common);
            long onlyA = a.exceptAll(b).count();
            long onlyB = b.exceptAll(a).count();
            System.out.printf(
                    "%-28s rows %d / %d, compared columns %s: only in a %d, only in b %d%n",
                    t, a.count(), b.count(), Arrays.toString(a.columns()), onlyA, onlyB);
            if (onlyA > 0) {
                a.exceptAll(b).show(5, false);
            }
            same &= onlyA == 0 && onlyB == 0;
        }
        same &= sameWeights(Path.of(args[0], "trainer/predictors"), Path.of(args[1], "trainer/predictors"));
        spark.stop();
        System.out.println(same ? "IDENTICAL" : "DIFFERENT");
        System.exit(same ? 0 : 1);
    }

    private static Dataset<Row> stable(Dataset<Row> d, List<String> common) {
        Column[] keep = common.stream()
                .filter(c -> !VOLATILE.matcher(c).matches())
                .sorted()
                .map(c -> col(c))
                .toArray(Column[]::new);
        Dataset<Row> s = d.select(keep);
        return Arrays.asList(d.columns()).contains("measure") ? s.where("measure NOT LIKE '%\\_ms%'") : s;
    }

    /** The tensor data after the safetensors header (whose metadata holds run ids and times). */
    private static byte[] tensorBytes(Path f) throws IOException {
        byte[] all = Files.readAllBytes(f);
        long header = java.nio.ByteBuffer.wrap(all, 0, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getLong();
        return Arrays.copyOfRange(all, Math.toIntExact(8 + header), all.length);
    }

    private static boolean sameWeights(Path a, Path b) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(a)) {
            files = s.filter(p -> p.getFileName().toString().equals("weights.safetensors"))
                    .sorted()
                    .toList();
        }
        boolean same = true;
        for (Path f : files) {
            Path other = b.resolve(a.relativize(f));
            boolean eq = Files.exists(other) && Arrays.equals(tensorBytes(f), tensorBytes(other));
            System.out.printf("%-60s %s%n", a.relativize(f), eq ? "tensors bit-identical" : "DIFFERS");
            same &= eq;
        }
        return same && !files.isEmpty();
    }
}
