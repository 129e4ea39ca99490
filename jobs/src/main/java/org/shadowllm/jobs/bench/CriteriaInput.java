package org.shadowllm.jobs.bench;

import static org.shadowllm.jobs.tables.CriteriaExamplesTable.col;
import static org.shadowllm.jobs.tables.CriteriaExamplesTable.name;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.UnitScores;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.Fingerprints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the bench reads of the criteria job's output ({@code --criteria}): the examples it scored, which
 * accuracy leaves out; the runs it holds, which the predictors must come from; the static methods' scores.
 */
final class CriteriaInput {
    private static final Logger LOG = LoggerFactory.getLogger(CriteriaInput.class);

    private final SparkSession spark;
    private final BenchOptions options;
    private final BenchModel model;

    CriteriaInput(SparkSession spark, BenchOptions options, BenchModel model) {
        this.spark = spark;
        this.options = options;
        this.model = model;
    }

    /**
     * The run ids of the model's rows in the criteria table, after checking the table exists and was
     * computed on this checkpoint: without it the bench would score accuracy on the very examples the
     * static masks and predictors were fitted on.
     */
    Set<String> runIds() {
        String path = examplesPath();
        if (!CriteriaTables.exists(spark, path)) {
            throw new IllegalArgumentException("no criteria table at " + path + ": the bench leaves out of its "
                    + "accuracy every example the criteria job scored, and checks the predictors were trained from "
                    + "that table; point --criteria at the criteria job's output, or pass --criteria none if no "
                    + "example needs leaving out");
        }
        Dataset<Row> table = spark.read().parquet(path);
        Fingerprints.require(table, path, model.name(), model.fingerprint());
        return new HashSet<>(table.where(col("model").equalTo(model.name()))
                .select(col("run_id"))
                .distinct()
                .as(Encoders.STRING())
                .collectAsList());
    }

    /** Example ids per task in the criteria table for the model; none with {@code --criteria none}. */
    Map<String, Set<String>> exampleIds() {
        if (options.noCriteria()) {
            LOG.warn("--criteria none: no accuracy example is left out");
            return Map.of();
        }
        Map<String, Set<String>> out = new HashMap<>();
        for (Row r : spark.read()
                .parquet(examplesPath())
                .where(col("model").equalTo(model.name()))
                .select(col("task"), col("example_id"))
                .distinct()
                .collectAsList()) {
            out.computeIfAbsent(r.<String>getAs(name("task")), k -> new HashSet<>())
                    .add(r.getAs(name("example_id")));
        }
        return out;
    }

    /** The scores each criterion a static method runs with ranks units by. */
    Map<ImportanceCriterion, UnitScores> staticScores() {
        Map<ImportanceCriterion, UnitScores> out = new EnumMap<>(ImportanceCriterion.class);
        for (ImportanceCriterion c : options.grid().criteriaOf(Method.STATIC)) {
            out.put(
                    c,
                    StaticScores.read(
                            spark,
                            options.criteriaInput(),
                            model.name(),
                            model.fingerprint(),
                            c.key(),
                            model.config()));
        }
        return out;
    }

    private String examplesPath() {
        return options.criteriaInput().replaceAll("/+$", "") + "/" + CriteriaTables.EXAMPLES;
    }
}
