package org.shadowllm.bench.engine;

import java.util.List;
import java.util.Locale;
import org.shadowllm.common.Keyed;
import org.shadowllm.common.predictor.PredictorPrecision;

/** How the decode engine stores weight rows: fp32, or bf16 widened to fp32 in registers. */
public enum WeightFormat implements Keyed {
    FP32(4, "float32"),
    BF16(2, "bfloat16");

    private final int bytes;
    private final String longName;

    WeightFormat(int bytes, String longName) {
        this.bytes = bytes;
        this.longName = longName;
    }

    public int bytesPerValue() {
        return bytes;
    }

    @Override
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code float32} and {@code bfloat16}, the dtype names of PyTorch and Hugging Face configs. */
    @Override
    public List<String> aliases() {
        return List.of(longName);
    }

    /** The predictor precision that stores rows as this format does: an engine's predictors' default. */
    public PredictorPrecision predictorPrecision() {
        return switch (this) {
            case FP32 -> PredictorPrecision.FP32;
            case BF16 -> PredictorPrecision.BF16;
        };
    }

    public static WeightFormat parse(String s) {
        return Keyed.parse(WeightFormat.class, s);
    }
}
