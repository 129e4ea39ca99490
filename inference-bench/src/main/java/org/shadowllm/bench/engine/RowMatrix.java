package org.shadowllm.bench.engine;

/**
 * A weight matrix stored one unit per row, row-major, as fp32 or bf16. The engine reads a row only
 * when its unit is kept: {@link #dot} for rows that produce a unit's output (Q/K/V, fc1, LM head,
 * predictor layers), {@link #axpy} for rows that carry a unit's contribution to the output (out_proj
 * and fc2, stored transposed).
 */
public final class RowMatrix {
    private final int rows;
    private final int cols;
    private final float[] f32;
    private final short[] b16;

    private RowMatrix(int rows, int cols, float[] f32, short[] b16) {
        this.rows = rows;
        this.cols = cols;
        this.f32 = f32;
        this.b16 = b16;
    }

    /** {@code values} is {@code [rows, cols]} row-major, or {@code [cols, rows]} when {@code transpose}. */
    public static RowMatrix of(float[] values, int rows, int cols, boolean transpose, WeightFormat format) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a " + rows + " × " + cols + " matrix exceeds one Java array ("
                    + (Integer.MAX_VALUE - 8) + " values)");
        }
        if (values.length != n) {
            throw new IllegalArgumentException("expected " + n + " values for " + rows + " × " + cols + ", got "
                    + values.length);
        }
        float[] f = format == WeightFormat.FP32 ? new float[(int) n] : null;
        short[] s = format == WeightFormat.BF16 ? new short[(int) n] : null;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = transpose ? values[c * rows + r] : values[r * cols + c];
                if (f != null) {
                    f[r * cols + c] = v;
                } else {
                    s[r * cols + c] = VectorKernels.toBf16(v);
                }
            }
        }
        return new RowMatrix(rows, cols, f, s);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public WeightFormat format() {
        return f32 != null ? WeightFormat.FP32 : WeightFormat.BF16;
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return (long) cols * format().bytesPerValue();
    }

    /** Row {@code row} · {@code x[xOff .. xOff+cols)}. */
    public float dot(int row, float[] x, int xOff) {
        return f32 != null ? VectorKernels.dot(f32, row * cols, x, xOff, cols)
                : VectorKernels.dot(b16, row * cols, x, xOff, cols);
    }

    /** {@code out[i_k] = row r_k · x[xOff .. xOff+cols)} for four rows at once. */
    public void dot4(int r0, int r1, int r2, int r3, float[] x, int xOff, float[] out, int i0, int i1, int i2, int i3) {
        if (f32 != null) {
            VectorKernels.dot4(f32, r0 * cols, r1 * cols, r2 * cols, r3 * cols, x, xOff, cols, out, i0, i1, i2, i3);
        } else {
            VectorKernels.dot4(b16, r0 * cols, r1 * cols, r2 * cols, r3 * cols, x, xOff, cols, out, i0, i1, i2, i3);
        }
    }

    /** {@code y[from..to) += a · row[from..to)}. */
    public void axpy(int row, float a, float[] y, int from, int to) {
        if (f32 != null) {
            VectorKernels.axpy(a, f32, row * cols, y, from, to);
        } else {
            VectorKernels.axpy(a, b16, row * cols, y, from, to);
        }
    }

    /** {@code y[from..to) += Σ a_i · row r_i[from..to)} over four rows, touching y once. */
    public void axpy4(int r0, float a0, int r1, float a1, int r2, float a2, int r3, float a3, float[] y, int from,
                      int to) {
        if (f32 != null) {
            VectorKernels.axpy4(a0, r0 * cols, a1, r1 * cols, a2, r2 * cols, a3, r3 * cols, f32, y, from, to);
        } else {
            VectorKernels.axpy4(a0, r0 * cols, a1, r1 * cols, a2, r2 * cols, a3, r3 * cols, b16, y, from, to);
        }
    }

    /** Copies row {@code row} (widened to fp32) into {@code out[off ..]}. */
    public void copyRow(int row, float[] out, int off) {
        for (int c = 0; c < cols; c++) {
            out[off + c] = f32 != null ? f32[row * cols + c] : VectorKernels.bf16(b16[row * cols + c]);
        }
    }
}
