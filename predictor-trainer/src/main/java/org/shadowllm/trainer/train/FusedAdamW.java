package org.shadowllm.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@link AdamW} fused, for parameters on the CPU: one pass over
 * each parameter reads its gradient, updates the moments (Java arrays) and the weight (through a direct
 * view of the tensor's memory), and zeroes the gradient. Elementwise NDArray calls cost a full pass over
 * memory each; a step needed about eighteen. Parameters must be contiguous fp32 on the CPU.
 */
final class FusedAdamW implements AdamW {
    private static final int CHUNK = 4096;
    private final List<NDArray> params;
    private final FloatBuffer[] weights;
    private final FloatBuffer[] gradients;
    private final NDArray[] gradientArrays;
    private final float[][] m;
    private final float[][] v;
    private final TrainingOptions o;
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[2][CHUNK]);
    private static final float[] ZEROS = new float[CHUNK];
    private long step;

    FusedAdamW(List<NDArray> params, TrainingOptions options) {
        this.params = List.copyOf(params);
        this.o = options;
        weights = new FloatBuffer[params.size()];
        gradients = new FloatBuffer[params.size()];
        gradientArrays = new NDArray[params.size()];
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            if (p.getDataType() != DataType.FLOAT32 || p.getDevice().isGpu()) {
                throw new IllegalArgumentException("the fused AdamW updates fp32 parameters on the CPU, got "
                        + p.getDataType() + " on " + p.getDevice());
            }
            weights[i] = view(p);
            m[i] = new float[weights[i].capacity()];
            v[i] = new float[weights[i].capacity()];
        }
    }

    /**
     * The tensor's own memory, not a copy: writes change the tensor. A non-contiguous tensor yields a
     * contiguous copy instead, which a write through the view then fails to reach: refused.
     */
    private static FloatBuffer view(NDArray a) {
        FloatBuffer b = a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        if (!b.isDirect() || b.capacity() != a.size()) {
            throw new IllegalStateException("no direct view of a " + a.getShape() + " tensor");
        }
        float old = b.get(0);
        b.put(0, old + 1);
        float seen;
        try (NDArray flat = a.reshape(-1);
                NDArray first = flat.get(0)) {
            seen = first.getFloat();
        }
        b.put(0, old);
        if (seen != old + 1) {
            throw new IllegalArgumentException("the fused AdamW needs contiguous parameters; a " + a.getShape()
                    + " tensor is not (its view is a copy)");
        }
        return b;
    }

    @Override
    public void step(double lr) {
        step++;
        float decay = (float) (1 - lr * o.weightDecay());
        float stepSize = (float) (lr / (1 - Math.pow(o.beta1(), step)));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(o.beta2(), step)));
        float b1 = (float) o.beta1();
        float b2 = (float) o.beta2();
        float eps = (float) o.epsilon();
        for (int i = 0; i < params.size(); i++) {
            if (gradients[i] == null) {
                // Backward accumulates into the same gradient tensor from then on (in place, since the step
                // zeroes it), so one view serves every step; a view per step leaks its native handle.
                gradientArrays[i] = params.get(i).getGradient();
                gradients[i] = view(gradientArrays[i]);
            }
            {
                FloatBuffer grad = gradients[i];
                FloatBuffer w = weights[i];
                float[] mi = m[i];
                float[] vi = v[i];
                int n = mi.length;
                IntStream.range(0, (n + CHUNK - 1) / CHUNK).parallel().forEach(c -> {
                    int from = c * CHUNK;
                    int len = Math.min(CHUNK, n - from);
                    float[][] s = scratch.get();
                    float[] gs = s[0];
                    float[] ws = s[1];
                    grad.get(from, gs, 0, len);
                    w.get(from, ws, 0, len);
                    for (int k = 0; k < len; k++) {
                        int j = from + k;
                        float gk = gs[k];
                        float mk = b1 * mi[j] + (1 - b1) * gk;
                        float vk = b2 * vi[j] + (1 - b2) * gk * gk;
                        mi[j] = mk;
                        vi[j] = vk;
                        ws[k] = ws[k] * decay - stepSize * mk / ((float) Math.sqrt(vk) * invSqrtBc2 + eps);
                    }
                    w.put(from, ws, 0, len);
                    grad.put(from, ZEROS, 0, len);
                });
            }
        }
    }

    @Override
    public void close() {
        for (NDArray g : gradientArrays) {
            if (g != null) {
                g.close();
            }
        }
    }
}
