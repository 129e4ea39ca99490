package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Moving data between Java arrays and tensors safely. Tensors made from Java data are copied into
 * memory PyTorch owns, so no tensor depends on a Java buffer staying alive. Tensors read into Java
 * are first made contiguous in a tensor we hold: reading a non-contiguous view (a transposed
 * attention context, say) directly returned values that later allocations overwrote, so results
 * changed under GC or concurrent work (ReadBackUnderPressureTest).
 */
public final class Tensors {
    private Tensors() {
    }

    public static NDArray of(NDManager scope, float[] data, Shape shape) {
        return owned(scope.create(data, shape));
    }

    public static NDArray of(NDManager scope, long[] data, Shape shape) {
        return owned(scope.create(data, shape));
    }

    public static NDArray of(NDManager scope, double[] data, Shape shape) {
        return owned(scope.create(data, shape));
    }

    /** The values of {@code x}, row-major, as float. */
    public static float[] floats(NDArray x) {
        try (NDArray flat = contiguous(x, ai.djl.ndarray.types.DataType.FLOAT32)) {
            return flat.toFloatArray();
        }
    }

    /** The values of {@code x}, row-major, as double. */
    public static double[] doubles(NDArray x) {
        try (NDArray flat = contiguous(x, ai.djl.ndarray.types.DataType.FLOAT64)) {
            return flat.toDoubleArray();
        }
    }

    /** A new, contiguous, one-dimensional copy of {@code x} in {@code type}. */
    private static NDArray contiguous(NDArray x, ai.djl.ndarray.types.DataType type) {
        try (NDArray converted = x.toType(type, true)) {
            return converted.flatten().duplicate();
        }
    }

    private static NDArray owned(NDArray wrapped) {
        NDArray copy = wrapped.duplicate();
        wrapped.close();
        return copy;
    }
}
