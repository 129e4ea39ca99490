package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.bench.BenchOptions;
import org.shadowllm.jobs.runtime.LocalSpark;

/**
 * Every SQL example of the README, run on tables the jobs wrote, through Spark SQL and through DuckDB's
 * JDBC driver, with the two engines' answers checked against each other: Hive-style partitions, array
 * columns and the manifest must read the same in both.
 */
class ReadmeSqlTest {
    private static final Path README = Path.of("..", "README.md");
    private static SparkSession spark;
    private static String criteria;
    private static String bench;

    @TempDir
    static Path out;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(2);
        criteria = out.resolve("criteria").toString();
        new org.shadowllm.jobs.criteria.CriteriaJob(
                        spark, org.shadowllm.jobs.criteria.CriteriaJobOptions.parse(new String[] {
                            "--model", SharedPaths.model("opt-mini-trained").toString(),
                            "--output", criteria,
                            "--tasks", "hellaswag,rte",
                            "--shots", "0,5",
                            "--examples", "3",
                            "--criteria", "plainact",
                            "--run-id", "sql"
                        }))
                .run();
        bench = out.resolve("bench").toString();
        new BenchJob(spark, BenchOptions.parse(new String[] {
                    "--criteria", criteria,
                    "--output", bench,
                    "--methods", "dense,static,random",
                    "--sparsities", "0.5",
                    "--measures", "perplexity,accuracy,latency",
                    "--tasks", "rte,hellaswag",
                    "--examples", "6",
                    "--ppl-windows", "4",
                    "--ppl-window", "48",
                    "--ppl-prefix", "16",
                    "--latency-prompt", "8",
                    "--latency-generate", "4",
                    "--latency-warmup", "0",
                    "--latency-repeats", "1",
                    "--run-id", "sql"
                }))
                .run();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The README's SQL: every statement of its {@code sql} blocks, and the inline DuckDB example. */
    static List<String> readmeQueries() throws IOException {
        String text = Files.readString(README);
        List<String> out = new ArrayList<>();
        Matcher block = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(text);
        while (block.find()) {
            for (String statement : block.group(1).split(";")) {
                if (!statement.replaceAll("(?m)^\\s*--.*$", "").isBlank()) {
                    out.add(statement.trim());
                }
            }
        }
        Matcher inline = Pattern.compile("DuckDB reads the same files: `(SELECT.*?);`", Pattern.DOTALL)
                .matcher(text);
        assertTrue(inline.find(), "the README's DuckDB example");
        out.add(inline.group(1).replaceAll("\\s+", " "));
        return out;
    }

    @Test
    void everyReadmeQueryAnswersTheSameInSparkSqlAndDuckDb() throws Exception {
        List<String> queries = readmeQueries();
        assertTrue(queries.size() >= 5, "queries found: " + queries.size());
        String[][] views = {
            {CriteriaTables.UNITS, criteria + "/" + CriteriaTables.UNITS},
            {CriteriaTables.EXAMPLES, criteria + "/" + CriteriaTables.EXAMPLES},
            {BenchJob.RESULTS, bench + "/" + BenchJob.RESULTS},
            {BenchScoresTable.NAME, bench + "/" + BenchScoresTable.NAME},
            {BenchComparisonsTable.NAME, bench + "/" + BenchComparisonsTable.NAME}
        };
        for (String[] v : views) {
            spark.read().parquet(v[1]).createOrReplaceTempView(v[0]);
        }
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                Statement st = duck.createStatement()) {
            for (String[] v : views) {
                st.execute("CREATE VIEW " + v[0] + " AS SELECT * FROM read_parquet('" + v[1]
                        + "/**/*.parquet', hive_partitioning = true)");
            }
            for (String q : queries) {
                // the one dialect difference the README states
                String duckSql =
                        q.replace("'out/criteria/", "'" + criteria + "/").replace("element_at(", "list_extract(");
                String sparkSql = q.replace("'out/criteria/", "'" + criteria + "/")
                        .replaceAll(
                                "read_parquet\\('[^']*/" + CriteriaTables.UNITS
                                        + "/\\*\\*/\\*\\.parquet',\\s*hive_partitioning = true\\)",
                                CriteriaTables.UNITS);
                // columns compared by name: the engines place Hive partition columns differently in SELECT *
                var df = spark.sql(sparkSql);
                List<String> sparkColumns = List.of(df.columns());
                List<List<Object>> fromSpark = new ArrayList<>();
                for (Row r : df.collectAsList()) {
                    fromSpark.add(byName(sparkColumns, i -> r.get(i)));
                }
                List<List<Object>> fromDuck = new ArrayList<>();
                try (ResultSet rs = st.executeQuery(duckSql)) {
                    List<String> duckColumns = new ArrayList<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        duckColumns.add(rs.getMetaData().getColumnLabel(i));
                    }
                    assertEquals(
                            sparkColumns.stream().sorted().toList(),
                            duckColumns.stream().sorted().toList(),
                            "columns of: " + q);
                    while (rs.next()) {
                        fromDuck.add(byName(duckColumns, i -> {
                            try {
                                return rs.getObject(i + 1);
                            } catch (SQLException e) {
                                throw new IllegalStateException(e);
                            }
                        }));
                    }
                }
                assertFalse(fromSpark.isEmpty(), "no rows, so nothing compared: " + q);
                boolean ordered = q.toUpperCase(Locale.ROOT).contains("ORDER BY");
                assertSameRows(q, normalize(fromSpark, ordered), normalize(fromDuck, ordered));
            }
            manifestReadsTheSame(st);
        }
    }

    /**
     * The scores table sums to the results table: each configuration's perplexity is exp(Σ nll / Σ tokens)
     * over its windows, each accuracy the mean of its examples' flags; and the README's pairing query gives
     * bench_comparisons' ratios and McNemar's discordant counts.
     */
    @Test
    void theScoresSumToTheResultsAndThePairingQueryGivesTheComparisons() throws Exception {
        spark.read().parquet(bench + "/" + BenchJob.RESULTS).createOrReplaceTempView("r");
        spark.read().parquet(bench + "/" + BenchScoresTable.NAME).createOrReplaceTempView("s");
        spark.read().parquet(bench + "/" + BenchComparisonsTable.NAME).createOrReplaceTempView("c");
        List<Row> sums = spark.sql("SELECT r.method, r.measure, r.task, r.value, "
                        + "CASE WHEN r.measure = 'perplexity' THEN EXP(SUM(s.nll) / SUM(s.units)) "
                        + "WHEN r.measure = 'acc' THEN AVG(CAST(s.correct AS DOUBLE)) "
                        + "ELSE AVG(CAST(s.correct_norm AS DOUBLE)) END AS summed, COUNT(*) AS items, r.count "
                        + "FROM r JOIN s ON s.method = r.method AND s.budget = r.budget AND s.sparsity = r.sparsity "
                        + "AND s.task = r.task AND s.measure = CASE WHEN r.measure = 'acc_norm' THEN 'acc' "
                        + "ELSE r.measure END "
                        + "WHERE r.measure IN ('perplexity', 'acc', 'acc_norm') "
                        + "GROUP BY r.method, r.budget, r.sparsity, r.measure, r.task, r.value, r.count")
                .collectAsList();
        assertEquals(3 + 3 * 3, sums.size(), "perplexity and rte acc, hellaswag acc and acc_norm of 3 methods");
        for (Row r : sums) {
            assertEquals(r.getDouble(3), r.getDouble(4), 1e-12 * r.getDouble(3), r.toString());
            if (r.getString(1).equals("perplexity")) {
                assertEquals(4L, r.getLong(5), r.toString());
            } else {
                assertEquals(r.getLong(6), r.getLong(5), r.toString());
            }
        }
        String pairing = readmeQueries().stream()
                .filter(q -> q.contains("bench_scores"))
                .findFirst()
                .orElseThrow();
        spark.read().parquet(bench + "/" + BenchScoresTable.NAME).createOrReplaceTempView(BenchScoresTable.NAME);
        spark.sql(pairing).createOrReplaceTempView("q");
        List<Row> matched = spark.sql("SELECT q.measure, q.task, q.items, c.items, q.ppl_ratio, c.value, "
                        + "q.a_only, c.a_only, q.b_only, c.b_only FROM q JOIN c ON c.a_method = 'random' "
                        + "AND c.b_method = 'dense' AND c.measure = q.measure AND c.task = q.task")
                .collectAsList();
        assertEquals(3, matched.size(), "perplexity, rte acc and hellaswag acc: " + matched);
        for (Row r : matched) {
            assertEquals(r.getLong(2), ((Number) r.get(3)).longValue(), r.toString());
            if (r.getString(0).equals("perplexity")) {
                assertEquals(r.getDouble(5), r.getDouble(4), 1e-12 * r.getDouble(5), r.toString());
            } else {
                assertEquals(((Number) r.get(7)).longValue(), r.getLong(6), r.toString());
                assertEquals(((Number) r.get(9)).longValue(), r.getLong(8), r.toString());
            }
        }
    }

    private static void manifestReadsTheSame(Statement st) throws SQLException {
        String file = criteria + "/" + CriteriaTables.MANIFESTS + "/sql.json";
        Row s = spark.read()
                .option("multiLine", true)
                .json(file)
                .selectExpr("run_id", "inputs.model_fingerprint", "inputs.model_config.num_heads", "size(sets)")
                .first();
        try (ResultSet rs = st.executeQuery("SELECT run_id, inputs.model_fingerprint, inputs.model_config.num_heads, "
                + "len(sets) FROM read_json_auto('" + file + "')")) {
            assertTrue(rs.next());
            assertEquals(s.getString(0), rs.getString(1));
            assertEquals(s.getString(1), rs.getString(2));
            assertEquals(((Number) s.get(2)).longValue(), rs.getLong(3));
            assertEquals(((Number) s.get(3)).longValue(), rs.getLong(4));
            assertEquals(4, rs.getLong(4), "2 tasks × 2 shot counts");
        }
    }

    /** A row's values in the order of its sorted column names. */
    private static List<Object> byName(List<String> columns, java.util.function.IntFunction<Object> value) {
        List<Object> row = new ArrayList<>();
        java.util.stream.IntStream.range(0, columns.size())
                .boxed()
                .sorted(Comparator.comparing(columns::get))
                .forEach(i -> row.add(value.apply(i)));
        return row;
    }

    /** Numbers as doubles, so each engine's integer and float widths compare; unordered results sorted. */
    private static List<List<Object>> normalize(List<List<Object>> rows, boolean ordered) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> r : rows) {
            List<Object> n = new ArrayList<>();
            for (Object v : r) {
                n.add(v instanceof Number x ? (Object) x.doubleValue() : v == null ? null : v.toString());
            }
            out.add(n);
        }
        if (!ordered) {
            out.sort(Comparator.comparing(Object::toString));
        }
        return out;
    }

    private static void assertSameRows(String q, List<List<Object>> spark, List<List<Object>> duck) {
        assertEquals(spark.size(), duck.size(), "row count of: " + q);
        for (int i = 0; i < spark.size(); i++) {
            List<Object> a = spark.get(i);
            List<Object> b = duck.get(i);
            assertEquals(a.size(), b.size(), "columns of: " + q);
            for (int j = 0; j < a.size(); j++) {
                if (a.get(j) instanceof Double x && b.get(j) instanceof Double y) {
                    assertEquals(x, y, 1e-6 * Math.max(1, Math.abs(x)), "row " + i + " column " + j + " of: " + q);
                } else {
                    assertEquals(a.get(j), b.get(j), "row " + i + " column " + j + " of: " + q);
                }
            }
        }
    }
}
