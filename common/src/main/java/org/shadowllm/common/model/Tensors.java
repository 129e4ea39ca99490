package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Moving data between Java and tensors safely. DJL 0.35 builds CPU tensors from Java data, including
 * the scalar of every {@code x.mul(2)}-style call, with {@code from_blob} over a direct ByteBuffer it
 * does not keep: once the garbage collector frees that buffer, the tensor (or autograd, which saves
 * scalars such as the attention scale for the backward pass) reads freed memory. Under GC this gave
 * wrong gradients, Inf and NaN (ReadBackUnderPressureTest). So tensors made here are copied into
 * memory PyTorch owns at once, and code never passes a Java number to an NDArray operation: it uses
 * {@link #scalar} instead.
 */
public final class Tensors {
    private Tensors() {}

    public static NDArray of(NDManager scope, float[] data, Shape shape) {
        return owned(scope.create(data, shape));
    }

    public static NDArray of(NDManager scope, long[] data, Shape shape) {
        return owned(scope.create(data, shape));
    }

    public static NDArray of(NDManager scope, double[] data, Shape shape) {
        return owned(scope.create(data, shape));
    }

    /** A 0-dimensional tensor of {@code value} in {@code type}, owned by PyTorch. */
    public static NDArray scalar(NDManager scope, double value, ai.djl.ndarray.types.DataType type) {
        try (NDArray wide = of(scope, new double[] {value}, new Shape())) {
            return wide.toType(type, true);
        }
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

    /** A transposed view of a weight whose handle lives in {@code scope}, not in the weights' manager. */
    public static NDArray transposed(NDArray weight, NDManager scope) {
        NDArray t = weight.transpose();
        t.attach(scope);
        return t;
    }
}
