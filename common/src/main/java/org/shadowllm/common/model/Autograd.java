package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Thread-local autograd for the PyTorch engine. DJL's GradientCollector allows one per JVM, and a
 * Spark executor runs several tasks per JVM, so each thread switches PyTorch's own grad mode.
 */
public final class Autograd implements AutoCloseable {
    private final boolean previous;

    private Autograd(boolean enabled) {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(enabled);
    }

    /** Records operations on this thread until closed. */
    public static Autograd record() {
        return new Autograd(true);
    }

    /** Stops recording on this thread until closed. */
    public static Autograd pause() {
        return new Autograd(false);
    }

    /** Backpropagates a scalar; with {@code createGraph} the gradients themselves stay differentiable. */
    public static void backward(NDArray scalar, boolean keepGraph, boolean createGraph) {
        try (NDArray seed = scalar.onesLike()) {
            JniUtils.backward((PtNDArray) scalar, (PtNDArray) seed, keepGraph, createGraph);
        }
    }

    /** A zero-valued (or given-valued) leaf tensor whose gradient is the gradient of what it is added to. */
    public static NDArray probe(NDArray initial) {
        initial.setRequiresGradient(true);
        return initial;
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
