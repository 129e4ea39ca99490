package org.shadowllm.bench.engine;

import java.util.List;
import java.util.Locale;
import org.shadowllm.common.Keyed;

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

    public static WeightFormat parse(String s) {
        return Keyed.parse(WeightFormat.class, s);
    }
}
