package org.shadowllm.bench.engine;

import org.shadowllm.common.predictor.PredictorPrecision;

/**
 * A weight matrix stored one unit per row, row-major, as fp32 or bf16, or (predictors only) int8 with one
 * fp32 scale per row, quantized as {@link PredictorPrecision#roundTrip} rounds. The engine reads a row only
 * when its unit is kept: {@link #dot} for rows that produce a unit's output (Q/K/V, fc1, LM head,
 * predictor layers), {@link #axpy} for rows that carry a unit's contribution to the output (out_proj
 * and fc2, stored transposed).
 */
public final class RowMatrix {
    private final int rows;
    private final int cols;
    private final float[] f32;
    /** bf16 rows packed two values to an int ({@link VectorKernels}), {@code stride} ints per row. */
    private final int[] b16;
    /** int8 rows, {@code cols} bytes each, and each row's scale: value = byte · scale. */
    private final byte[] i8;

    private final float[] scales;

    private final int stride;

    private RowMatrix(int rows, int cols, float[] f32, int[] b16, byte[] i8, float[] scales) {
        this.rows = rows;
        this.cols = cols;
        this.f32 = f32;
        this.b16 = b16;
        this.i8 = i8;
        this.scales = scales;
        this.stride = b16 != null ? VectorKernels.packedLength(cols) : cols;
    }

    /**
     * A predictor layer's {@code [rows, cols]} row-major weights at {@code precision}: fp32 and bf16 as a model's
     * weights are stored, int8 with one scale per row.
     */
    public static RowMatrix of(float[] values, int rows, int cols, PredictorPrecision precision) {
        return switch (precision) {
            case FP32 -> of(values, rows, cols, false, WeightFormat.FP32);
            case BF16 -> of(values, rows, cols, false, WeightFormat.BF16);
            case INT8 -> {
                checkSize(values, rows, cols);
                byte[] q = new byte[values.length];
                float[] scales = new float[rows];
                for (int r = 0; r < rows; r++) {
                    float scale = PredictorPrecision.int8Scale(values, r * cols, cols);
                    scales[r] = scale;
                    for (int c = 0; c < cols; c++) {
                        q[r * cols + c] = PredictorPrecision.quantize(values[r * cols + c], scale);
                    }
                }
                yield new RowMatrix(rows, cols, null, null, q, scales);
            }
        };
    }

    private static long checkSize(float[] values, int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a " + rows + " × " + cols + " matrix exceeds one Java array ("
                    + (Integer.MAX_VALUE - 8) + " values)");
        }
        if (values.length != n) {
            throw new IllegalArgumentException(
                    "expected " + n + " values for " + rows + " × " + cols + ", got " + values.length);
        }
        return n;
    }

    /** {@code values} is {@code [rows, cols]} row-major, or {@code [cols, rows]} when {@code transpose}. */
    public static RowMatrix of(float[] values, int rows, int cols, boolean transpose, WeightFormat format) {
        long n = checkSize(values, rows, cols);
        float[] row = transpose ? new float[cols] : null;
        if (format == WeightFormat.FP32) {
            float[] f = transpose ? new float[(int) n] : values.clone();
            for (int r = 0; transpose && r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    f[r * cols + c] = values[c * rows + r];
                }
            }
            return new RowMatrix(rows, cols, f, null, null, null);
        }
        int stride = VectorKernels.packedLength(cols);
        int[] packed = new int[Math.multiplyExact(rows, stride)];
        for (int r = 0; r < rows; r++) {
            if (transpose) {
                for (int c = 0; c < cols; c++) {
                    row[c] = values[c * rows + r];
                }
                VectorKernels.pack(row, 0, cols, packed, r * stride);
            } else {
                VectorKernels.pack(values, r * cols, cols, packed, r * stride);
            }
        }
        return new RowMatrix(rows, cols, null, packed, null, null);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The model weight format of these rows; int8 rows (predictors only) have none. */
    public WeightFormat format() {
        if (i8 != null) {
            throw new IllegalStateException("int8 rows are a predictor precision, not a model weight format");
        }
        return f32 != null ? WeightFormat.FP32 : WeightFormat.BF16;
    }

    public PredictorPrecision precision() {
        return f32 != null ? PredictorPrecision.FP32 : b16 != null ? PredictorPrecision.BF16 : PredictorPrecision.INT8;
    }

    /** Bytes of one row as stored, an int8 row's scale included. */
    public long rowBytes() {
        return f32 != null ? 4L * cols : b16 != null ? 4L * stride : cols + 4L;
    }

    /** Row {@code row} · {@code x[xOff .. xOff+cols)}. */
    public float dot(int row, float[] x, int xOff) {
        if (i8 != null) {
            return scales[row] * VectorKernels.dotInt8(i8, row * cols, x, xOff, cols);
        }
        return f32 != null
                ? VectorKernels.dot(f32, row * cols, x, xOff, cols)
                : VectorKernels.dotPacked(b16, row * stride, x, xOff, cols);
    }

    /** {@code out[i_k] = row r_k · x[xOff .. xOff+cols)} for four rows at once. */
    public void dot4(int r0, int r1, int r2, int r3, float[] x, int xOff, float[] out, int i0, int i1, int i2, int i3) {
        if (f32 != null) {
            VectorKernels.dot4(f32, r0 * cols, r1 * cols, r2 * cols, r3 * cols, x, xOff, cols, out, i0, i1, i2, i3);
        } else if (i8 != null) {
            VectorKernels.dot4Int8(i8, r0 * cols, r1 * cols, r2 * cols, r3 * cols, x, xOff, cols, out, i0, i1, i2, i3);
            out[i0] *= scales[r0];
            out[i1] *= scales[r1];
            out[i2] *= scales[r2];
            out[i3] *= scales[r3];
        } else {
            VectorKernels.dot4Packed(
                    b16, r0 * stride, r1 * stride, r2 * stride, r3 * stride, x, xOff, cols, out, i0, i1, i2, i3);
        }
    }

    /** {@code y[0 .. cols) += a · row}; a plain loop for int8 rows, which only predictors use (by dot). */
    public void axpy(int row, float a, float[] y) {
        if (i8 != null) {
            float as = a * scales[row];
            for (int c = 0; c < cols; c++) {
                y[c] += as * i8[row * cols + c];
            }
        } else if (f32 != null) {
            VectorKernels.axpy(a, f32, row * cols, y, 0, cols);
        } else {
            VectorKernels.axpyPacked(a, b16, row * stride, y, cols);
        }
    }

    /** {@code y[0 .. cols) += Σ a_k · row r_k} over four rows, touching y once. */
    public void axpy4(int r0, float a0, int r1, float a1, int r2, float a2, int r3, float a3, float[] y) {
        if (i8 != null) {
            axpy(r0, a0, y);
            axpy(r1, a1, y);
            axpy(r2, a2, y);
            axpy(r3, a3, y);
        } else if (f32 != null) {
            VectorKernels.axpy4(a0, r0 * cols, a1, r1 * cols, a2, r2 * cols, a3, r3 * cols, f32, y, 0, cols);
        } else {
            VectorKernels.axpy4Packed(a0, r0 * stride, a1, r1 * stride, a2, r2 * stride, a3, r3 * stride, b16, y, cols);
        }
    }

    /** Copies row {@code row} (widened to fp32) into {@code out[off ..]}. */
    public void copyRow(int row, float[] out, int off) {
        if (f32 != null) {
            System.arraycopy(f32, row * cols, out, off, cols);
            return;
        }
        if (i8 != null) {
            for (int c = 0; c < cols; c++) {
                out[off + c] = i8[row * cols + c] * scales[row];
            }
            return;
        }
        for (int c = 0; c < cols; c++) {
            out[off + c] = VectorKernels.unpack(b16, row * stride, cols, c);
        }
    }
}
