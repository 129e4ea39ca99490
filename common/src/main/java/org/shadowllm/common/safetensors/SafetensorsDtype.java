package org.shadowllm.common.safetensors;

import org.shadowllm.common.Keyed;

/** Element types of the safetensors format that this project reads; the key is the header's spelling. */
public enum SafetensorsDtype implements Keyed {
    F64(8),
    F32(4),
    F16(2),
    BF16(2),
    I64(8),
    I32(4),
    I16(2),
    I8(1),
    U8(1),
    BOOL(1);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    @Override
    public String key() {
        return name();
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    static SafetensorsDtype parse(String name, String tensor, String file) {
        try {
            return Keyed.parse(SafetensorsDtype.class, name);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(file, tensor, "unknown dtype '" + name + "'");
        }
    }
}
