package org.shadowllm.common.safetensors;

import java.util.Arrays;

/** One tensor's entry in a safetensors header: byte range relative to the data section. */
public record TensorInfo(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(name + ": bad data offsets [" + begin + ", " + end + ")");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
