package org.shadowllm.jobs.bench;

import static org.apache.spark.sql.functions.sum;
import static org.shadowllm.jobs.tables.UnitImportanceTable.col;
import static org.shadowllm.jobs.tables.UnitImportanceTable.name;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.bench.method.UnitScores;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.Fingerprints;
import org.shadowllm.jobs.tables.StagedCommit;

/**
 * The static method's scores: each unit's set-level score in {@code unit_importance}, averaged over
 * every task and shot count there, weighted by their example counts.
 */
final class StaticScores {
    private static final String SCORE = "score";

    private StaticScores() {}

    static UnitScores read(
            SparkSession spark,
            String input,
            String model,
            String fingerprint,
            String criterion,
            DecoderConfig config) {
        String path = input.replaceAll("/+$", "") + "/" + CriteriaTables.UNITS;
        StagedCommit.requireNoPendingCommit(spark.sparkContext().hadoopConfiguration(), input);
        if (!CriteriaTables.exists(spark, path)) {
            throw new IllegalArgumentException("the static method needs " + path + "; run the criteria job first, "
                    + "or point --criteria at its output");
        }
        Fingerprints.require(spark.read().parquet(path), path, model, fingerprint);
        Dataset<Row> rows = spark.read()
                .parquet(path)
                .where(col("model")
                        .equalTo(model)
                        .and(col("criterion").equalTo(criterion))
                        .and(col("set_score").isNotNull()))
                .groupBy(col("layer"), col("unit_type"), col("unit"))
                .agg(sum(col("set_score").multiply(col("examples")))
                        .divide(sum(col("examples")))
                        .alias(SCORE));
        List<Row> scores = rows.collectAsList();
        float[][] heads = new float[config.numLayers()][config.numHeads()];
        float[][] neurons = new float[config.numLayers()][config.ffnDim()];
        int seenHeads = 0;
        int seenNeurons = 0;
        for (Row r : scores) {
            int l = r.<Integer>getAs(name("layer"));
            int u = r.<Integer>getAs(name("unit"));
            String unitType = r.getAs(name("unit_type"));
            boolean head = "head".equals(unitType);
            float[][] target = head ? heads : neurons;
            if (l >= target.length || u >= target[l].length) {
                throw new IllegalArgumentException(
                        path + ": model '" + model + "' has a " + unitType + " score for" + " layer " + l + " unit " + u
                                + ", outside the model's shape; was it scored for another model?");
            }
            int score = r.fieldIndex(SCORE);
            if (r.isNullAt(score) || !Double.isFinite(r.getDouble(score))) {
                throw new IllegalArgumentException(path + ": the " + criterion + " score of layer " + l + " "
                        + unitType + " " + u + " for model '" + model + "' is not a finite number; "
                        + "a static mask cannot rank it (re-run the criteria job for that model)");
            }
            target[l][u] = (float) r.getDouble(score);
            if (head) {
                seenHeads++;
            } else {
                seenNeurons++;
            }
        }
        int needHeads = config.numLayers() * config.numHeads();
        int needNeurons = config.numLayers() * config.ffnDim();
        if (seenHeads != needHeads || seenNeurons != needNeurons) {
            throw new IllegalArgumentException(path + " has " + seenHeads + "/" + needHeads + " head and " + seenNeurons
                    + "/" + needNeurons + " neuron scores for model '" + model + "' and criterion " + criterion
                    + "; the static method needs all of them");
        }
        return new UnitScores(heads, neurons);
    }
}
