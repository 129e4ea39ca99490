package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
}
