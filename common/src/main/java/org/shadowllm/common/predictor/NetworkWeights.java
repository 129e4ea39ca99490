package org.shadowllm.common.predictor;

/**
 * A network's parameters, row-major in PyTorch's {@code [out, in]} orientation. Biases are null when
 * the spec has none.
 */
public record NetworkWeights(NetworkSpec spec, float[] w1, float[] b1, float[] w2, float[] b2)
        implements java.io.Serializable {
    public NetworkWeights {
        check(spec, "w1", w1, (long) spec.hidden() * spec.inputs(), true);
        check(spec, "b1", b1, spec.hidden(), spec.bias());
        check(spec, "w2", w2, (long) spec.outputs() * spec.hidden(), true);
        check(spec, "b2", b2, spec.outputs(), spec.bias());
    }

    private static void check(NetworkSpec spec, String what, float[] values, long expected, boolean present) {
        if (!present) {
            if (values != null) {
                throw new IllegalArgumentException(
                        "network " + spec.name() + " has no bias but " + what + " was given");
            }
            return;
        }
        if (values == null || values.length != expected) {
            throw new IllegalArgumentException("network " + spec.name() + ": " + what + " needs " + expected
                    + " values, got " + (values == null ? "none" : values.length));
        }
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(
                        "network " + spec.name() + ": " + what + " holds a non-finite value");
            }
        }
    }
}
