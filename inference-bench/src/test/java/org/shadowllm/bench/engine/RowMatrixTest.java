package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.safetensors.HalfFloats;

/** Every row kernel against plain loops over the stored values, for widths that exercise every tail. */
class RowMatrixTest {
    private static final int ROWS = 9;

    /** The value as stored: fp32, or rounded to bf16 (nearest even) and widened back. */
    private static double stored(float v, WeightFormat f) {
        return f == WeightFormat.FP32 ? v : HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v));
    }

    @ParameterizedTest(name = "{0} × {1}, {2}")
    @CsvSource({
        "1, fp32",
        "7, fp32",
        "33, fp32",
        "100, fp32",
        "1, bf16",
        "2, bf16",
        "7, bf16",
        "31, bf16",
        "32, bf16",
        "33, bf16",
        "64, bf16",
        "100, bf16",
        "257, bf16"
    })
    void kernelsEqualPlainLoopsOverTheStoredValues(int cols, String format) {
        WeightFormat f = WeightFormat.parse(format);
        SplittableRandom r = new SplittableRandom(cols);
        float[] values = new float[ROWS * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        float[] x = new float[cols + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (boolean transpose : new boolean[] {false, true}) {
            // transpose: values are [cols, ROWS] and row k is column k
            RowMatrix m = RowMatrix.of(values, ROWS, cols, transpose, f);
            double[][] w = new double[ROWS][cols];
            for (int k = 0; k < ROWS; k++) {
                for (int c = 0; c < cols; c++) {
                    w[k][c] = stored(transpose ? values[c * ROWS + k] : values[k * cols + c], f);
                }
            }
            float[] copy = new float[cols];
            float[] four = new float[8];
            for (int k = 0; k + 3 < ROWS; k++) {
                m.copyRow(k, copy, 0);
                double dot = 0;
                for (int c = 0; c < cols; c++) {
                    assertEquals(w[k][c], copy[c], 0, "copy " + k + "," + c);
                    dot += w[k][c] * x[3 + c];
                }
                double tol = 1e-5 * (1 + Math.abs(dot)) * Math.sqrt(cols);
                assertEquals(dot, m.dot(k, x, 3), tol, "dot row " + k);
                m.dot4(k, k + 1, k + 2, k + 3, x, 3, four, 7, 5, 3, 1);
                assertEquals(dot, four[7], tol, "dot4 first row " + k);
                double dot3 = 0;
                for (int c = 0; c < cols; c++) {
                    dot3 += w[k + 3][c] * x[3 + c];
                }
                assertEquals(dot3, four[1], 1e-5 * (1 + Math.abs(dot3)) * Math.sqrt(cols), "dot4 fourth row " + k);
            }
            float[] y = new float[cols];
            double[] expected = new double[cols];
            m.axpy(2, 0.5f, y);
            m.axpy4(0, 1.5f, 4, -2f, 8, 0.25f, 5, 3f, y);
            for (int c = 0; c < cols; c++) {
                expected[c] = 0.5 * w[2][c] + 1.5 * w[0][c] - 2 * w[4][c] + 0.25 * w[8][c] + 3 * w[5][c];
                assertEquals(expected[c], y[c], 1e-5 * (1 + Math.abs(expected[c])), "axpy at " + c);
            }
        }
    }
    /** int8 rows: each value is byte · row scale as the round trip widens it, and every kernel reads exactly that. */
    @ParameterizedTest(name = "{0} columns")
    @ValueSource(ints = {1, 7, 67, 1000})
    void int8KernelsEqualPlainLoopsOverTheRoundTrippedValues(int cols) {
        SplittableRandom r = new SplittableRandom(cols + 11);
        float[] values = new float[ROWS * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (r.nextGaussian() * (1 + i / cols));
        }
        java.util.Arrays.fill(values, 6 * cols, 7 * cols, 0f); // an all-zero row
        float[] x = new float[cols + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        RowMatrix m = RowMatrix.of(values, ROWS, cols, PredictorPrecision.INT8);
        assertEquals(PredictorPrecision.INT8, m.precision());
        assertEquals(cols + 4, m.rowBytes());
        assertThrows(IllegalStateException.class, m::format);
        float[] stored = PredictorPrecision.INT8.roundTrip(values, ROWS, cols);
        float[] copy = new float[cols];
        float[] four = new float[4];
        for (int k = 0; k < ROWS; k++) {
            m.copyRow(k, copy, 0);
            double dot = 0;
            double magnitude = 0;
            for (int c = 0; c < cols; c++) {
                assertEquals(stored[k * cols + c], copy[c], 0, "copy " + k + "," + c);
                dot += stored[k * cols + c] * (double) x[3 + c];
                magnitude += Math.abs(stored[k * cols + c] * (double) x[3 + c]);
            }
            double tol = 1e-5 * (1 + magnitude);
            assertEquals(dot, m.dot(k, x, 3), tol, "dot row " + k);
            if (k + 3 < ROWS) {
                m.dot4(k + 3, k, k + 1, k + 2, x, 3, four, 1, 0, 2, 3);
                assertEquals(dot, four[0], tol, "dot4 row " + k);
            }
        }
        float[] y = new float[cols];
        m.axpy(2, 0.5f, y);
        m.axpy4(0, 1.5f, 4, -2f, 8, 0.25f, 6, 3f, y);
        for (int c = 0; c < cols; c++) {
            double expected = 0.5 * stored[2 * cols + c]
                    + 1.5 * stored[c]
                    - 2 * stored[4 * cols + c]
                    + 0.25 * stored[8 * cols + c];
            assertEquals(expected, y[c], 1e-5 * (1 + Math.abs(expected)), "axpy at " + c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fp32", "bf16"})
    void predictorRowsInAModelFormatAreTheModelsRows(String precision) {
        PredictorPrecision p = PredictorPrecision.parse(precision);
        SplittableRandom r = new SplittableRandom(5);
        float[] values = new float[ROWS * 67];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        RowMatrix m = RowMatrix.of(values, ROWS, 67, p);
        RowMatrix model = RowMatrix.of(values, ROWS, 67, false, WeightFormat.parse(precision));
        assertEquals(p, m.precision());
        assertEquals(model.format(), m.format());
        assertEquals(model.rowBytes(), m.rowBytes());
        float[] a = new float[67];
        float[] b = new float[67];
        float[] stored = p.roundTrip(values, ROWS, 67);
        for (int k = 0; k < ROWS; k++) {
            m.copyRow(k, a, 0);
            model.copyRow(k, b, 0);
            assertArrayEquals(b, a);
            assertArrayEquals(
                    java.util.Arrays.copyOfRange(stored, k * 67, (k + 1) * 67), a, "the round trip's row " + k);
        }
    }
}
