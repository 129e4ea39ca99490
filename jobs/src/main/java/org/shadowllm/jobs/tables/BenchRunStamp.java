package org.shadowllm.jobs.tables;

import java.io.Serializable;
import java.sql.Timestamp;
import org.apache.spark.sql.types.DataTypes;

/**
 * What every row a bench run writes carries: the code that wrote it, when, and its partition (model, run).
 */
public record BenchRunStamp(String codeVersion, Timestamp createdAt, String model, String runId)
        implements Serializable {
    public BenchRunStamp {
        if (codeVersion == null || createdAt == null || model == null || runId == null) {
            throw new IllegalArgumentException("a bench row needs its code version, time, model and run");
        }
    }

    /** A bench table's row: what it measured, and the run's stamp. */
    interface Stamped {
        BenchRunStamp stamp();
    }

    /** The stamp's columns, added last: the partition columns (model, run_id) end every bench table. */
    static <T extends Stamped> TableColumns<T> addTo(TableColumns<T> columns) {
        return columns.add("code_version", DataTypes.StringType, false, r -> r.stamp()
                        .codeVersion())
                .add("created_at", DataTypes.TimestampType, false, r -> r.stamp()
                        .createdAt())
                .add("model", DataTypes.StringType, false, r -> r.stamp().model())
                .add("run_id", DataTypes.StringType, false, r -> r.stamp().runId());
    }
}
