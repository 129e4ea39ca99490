package org.shadowllm.jobs.tables;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A table's columns, each named beside the record accessor that fills it: the schema and the row
 * conversion come from one list, so a column can never shift out of place.
 *
 * @param <T> the table's record
 */
public final class TableColumns<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

    /** A column's value taken from a record; serializable so executors can build rows. */
    @FunctionalInterface
    public interface Value<T> extends Function<T, Object>, Serializable {}

    private record Column<T>(StructField field, Value<T> value) implements Serializable {}

    private final List<Column<T>> columns = new ArrayList<>();

    public TableColumns<T> add(String name, DataType type, boolean nullable, Value<T> value) {
        columns.add(new Column<>(DataTypes.createStructField(name, type, nullable), value));
        return this;
    }

    /**
     * The column {@code name} for a reader of this table; a name the table does not write fails at once,
     * so readers and the writer cannot drift apart.
     */
    public String name(String name) {
        if (columns.stream().noneMatch(c -> c.field().name().equals(name))) {
            throw new IllegalArgumentException("the table writes no column '" + name + "'; its columns: "
                    + columns.stream().map(c -> c.field().name()).toList());
        }
        return name;
    }

    /** {@link #name} as a Spark column. */
    public org.apache.spark.sql.Column col(String name) {
        return org.apache.spark.sql.functions.col(name(name));
    }

    public StructType schema() {
        return DataTypes.createStructType(columns.stream().map(Column::field).toList());
    }

    public Row row(T record) {
        Object[] v = new Object[columns.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = columns.get(i).value().apply(record);
        }
        return RowFactory.create(v);
    }

    /** A double column's value: null for NaN, which Parquet readers would otherwise show as a number. */
    public static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
