package org.shadowllm.common.checkpoint;

import java.util.Arrays;
import java.util.Map;
import org.shadowllm.common.safetensors.SafetensorsException;
import org.shadowllm.common.safetensors.SafetensorsWriter;

/** Named float tensors of a checkpoint, wherever they come from; a missing name is an error that says where. */
public interface TensorSource {
    boolean contains(String name);

    long[] shape(String name);

    float[] read(String name);

    String where();

    /** The tensor's values, after checking its shape is the one the config implies. */
    default float[] read(String name, long... shape) {
        long[] actual = shape(name);
        if (!Arrays.equals(actual, shape)) {
            throw new SafetensorsException(
                    where(),
                    name,
                    "shape " + Arrays.toString(actual) + " but the config implies " + Arrays.toString(shape));
        }
        return read(name);
    }

    /** In-memory tensors in Hugging Face layout (random models for tests and benchmarks). */
    static TensorSource of(Map<String, SafetensorsWriter.Tensor> tensors) {
        return new TensorSource() {
            @Override
            public boolean contains(String name) {
                return tensors.containsKey(name);
            }

            @Override
            public long[] shape(String name) {
                return get(name).shape();
            }

            @Override
            public float[] read(String name) {
                return get(name).values();
            }

            private SafetensorsWriter.Tensor get(String name) {
                SafetensorsWriter.Tensor t = tensors.get(name);
                if (t == null) {
                    throw new SafetensorsException(where(), name, "missing tensor");
                }
                return t;
            }

            @Override
            public String where() {
                return "<state dict>";
            }
        };
    }
}
