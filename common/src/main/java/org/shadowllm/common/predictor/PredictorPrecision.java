package org.shadowllm.common.predictor;

import org.shadowllm.common.Keyed;
import org.shadowllm.common.safetensors.HalfFloats;

/**
 * How a predictor's weight matrices are stored for scoring: fp32, bf16, or int8 with one fp32 scale per row
 * (symmetric: scale = max|row| / 127, q = round(v / scale) clamped to [-127, 127], an all-zero row has scale
 * 0). Biases stay fp32. {@link #roundTrip} gives the fp32 network whose weights are exactly the stored values,
 * so that a path scoring in fp32 (DJL) scores what a path reading the stored rows (the decode engine) does.
 */
public enum PredictorPrecision implements Keyed {
    FP32("fp32"),
    BF16("bf16"),
    INT8("int8");

    /** The largest int8 magnitude used: symmetric, so -128 is never stored. */
    public static final int INT8_MAX = 127;

    private final String key;

    PredictorPrecision(String key) {
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    public static PredictorPrecision parse(String text) {
        return Keyed.parse(PredictorPrecision.class, text);
    }

    /** Bytes a stored {@code rows × cols} matrix takes, scales included. */
    public long bytes(int rows, int cols) {
        long values = (long) rows * cols;
        return switch (this) {
            case FP32 -> 4 * values;
            case BF16 -> 2 * values;
            case INT8 -> values + 4L * rows;
        };
    }

    /** {@code predictor} with every network's weights {@linkplain #roundTrip(NetworkWeights) round-tripped}. */
    public UnitPredictor roundTrip(UnitPredictor predictor) {
        if (this == FP32) {
            return predictor;
        }
        return new UnitPredictor(
                predictor.manifest(),
                predictor.networks().stream().map(this::roundTrip).toList());
    }

    /** {@code weights} with w1 and w2 rounded to this precision and widened back to fp32; biases unchanged. */
    public NetworkWeights roundTrip(NetworkWeights weights) {
        if (this == FP32) {
            return weights;
        }
        NetworkSpec s = weights.spec();
        return new NetworkWeights(
                s,
                roundTrip(weights.w1(), s.hidden(), s.inputs()),
                weights.b1(),
                roundTrip(weights.w2(), s.outputs(), s.hidden()),
                weights.b2());
    }

    /** A {@code [rows, cols]} row-major matrix rounded to this precision and widened back (a new array). */
    public float[] roundTrip(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(
                    "expected " + (long) rows * cols + " values for " + rows + " × " + cols + ", got " + values.length);
        }
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            switch (this) {
                case FP32 -> System.arraycopy(values, off, out, off, cols);
                case BF16 -> {
                    for (int c = 0; c < cols; c++) {
                        out[off + c] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[off + c]));
                    }
                }
                case INT8 -> {
                    float scale = int8Scale(values, off, cols);
                    for (int c = 0; c < cols; c++) {
                        out[off + c] = quantize(values[off + c], scale) * scale;
                    }
                }
            }
        }
        return out;
    }

    /** The int8 scale of the row {@code values[off .. off+n)}: max|v| / 127, 0 for an all-zero row. */
    public static float int8Scale(float[] values, int off, int n) {
        float max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(values[off + i]));
        }
        return max / INT8_MAX;
    }

    /** {@code v} as int8 under {@code scale}: round(v / scale) clamped to ±127, 0 where the scale is 0. */
    public static byte quantize(float v, float scale) {
        if (scale == 0) {
            return 0;
        }
        int q = Math.round(v / scale);
        return (byte) Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
    }

    @Override
    public String toString() {
        return key;
    }
}
