package org.shadowllm.jobs.criteria;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.common.criteria.ImportanceCriterion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Schemas of the job's tables. Score arrays are layer-major: {@code head_<c>[l*H + h]},
 * {@code neuron_<c>[l*F + k]}, and features {@code [l*E + i]}; the row's layers/heads/ffn/hidden
 * columns give L, H, F and E.
 */
public final class CriteriaTables {
    public static final String EXAMPLES = "criteria_examples";
    public static final String UNITS = "unit_importance";
    public static final String MANIFESTS = "manifests";
    public static final String[] PARTITIONS = {"model", "task", "shots"};

    private CriteriaTables() {
    }

    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

    public static StructType examplesSchema() {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("run_id", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("example_id", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("prompt_tokens", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("continuation_tokens", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("truncated_tokens", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("loss", DataTypes.DoubleType, false));
        f.add(DataTypes.createStructField("attn_context_last", FLOATS, false));
        f.add(DataTypes.createStructField("residual_in_last", FLOATS, false));
        f.add(DataTypes.createStructField("attn_context_plan", FLOATS, false));
        f.add(DataTypes.createStructField("residual_in_plan", FLOATS, false));
        for (ImportanceCriterion c : ImportanceCriterion.values()) {
            f.add(DataTypes.createStructField("head_" + c.key(), FLOATS, true));
            f.add(DataTypes.createStructField("neuron_" + c.key(), FLOATS, true));
        }
        for (String n : new String[] {"layers", "heads", "ffn", "hidden"}) {
            f.add(DataTypes.createStructField(n, DataTypes.IntegerType, false));
        }
        f.add(DataTypes.createStructField("code_version", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("created_at", DataTypes.TimestampType, false));
        partitionFields(f);
        return DataTypes.createStructType(f);
    }

    public static StructType unitsSchema() {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("run_id", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("criterion", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("layer", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("unit_type", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("unit", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("examples", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("mean", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("std", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("mean_rank", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("rank_variance", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("set_score", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("code_version", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("created_at", DataTypes.TimestampType, false));
        partitionFields(f);
        return DataTypes.createStructType(f);
    }

    private static void partitionFields(List<StructField> f) {
        f.add(DataTypes.createStructField("model", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("task", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("shots", DataTypes.IntegerType, false));
    }

    /** The project version this jar was built from. */
    /** Whether a table (or any path) exists, on whatever file system its URI names. */
    public static boolean exists(org.apache.spark.sql.SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    public static String codeVersion() {
        try (InputStream in = CriteriaTables.class.getResourceAsStream("/shadowllm-build.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown") + "+" + p.getProperty("built", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
