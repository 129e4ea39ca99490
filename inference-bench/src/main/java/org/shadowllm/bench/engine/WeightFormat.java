package org.shadowllm.bench.engine;

import java.util.Locale;

/** How the decode engine stores weight rows: fp32, or bf16 widened to fp32 in registers. */
public enum WeightFormat {
    FP32(4),
    BF16(2);

    private final int bytes;

    WeightFormat(int bytes) {
        this.bytes = bytes;
    }

    public int bytesPerValue() {
        return bytes;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static WeightFormat parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("unknown weight format '" + s + "'; expected fp32 or bf16");
        };
    }
}
