package org.shadowllm.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;

/**
 * {@link AdamW} in NDArray operations, for parameters on a GPU. Written out rather than DJL's optimizer so
 * no Java number ever becomes an operand (see {@link Tensors}), and so the gradients of thread-local
 * autograd are what it reads. Every operation is in place, with the gradient (zeroed at the end anyway)
 * as the only scratch: a step allocates no parameter-sized tensor.
 */
final class TensorAdamW implements AdamW {
    private final NDManager state;
    private final List<NDArray> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final TrainingOptions o;
    private final NDArray beta1;
    private final NDArray oneMinusBeta1;
    private final NDArray beta2;
    private final NDArray oneMinusBeta2;
    private final NDArray eps;
    private final NDArray zero;
    private final NDArray half;
    private final NDArray minusOne;
    private final NDArray squaredScale;
    private long step;

    TensorAdamW(NDManager parent, List<NDArray> params, TrainingOptions options) {
        this.state = parent.newSubManager();
        this.params = List.copyOf(params);
        this.o = options;
        for (NDArray p : params) {
            m.add(p.zerosLike());
            v.add(p.zerosLike());
        }
        m.forEach(a -> a.attach(state));
        v.forEach(a -> a.attach(state));
        beta1 = scalar(state, o.beta1());
        oneMinusBeta1 = scalar(state, 1 - o.beta1());
        beta2 = scalar(state, o.beta2());
        oneMinusBeta2 = scalar(state, 1 - o.beta2());
        eps = scalar(state, o.epsilon());
        zero = scalar(state, 0);
        half = scalar(state, 0.5);
        minusOne = scalar(state, -1);
        // ((1-β1)·g)² · (1-β2)/(1-β1)² = (1-β2)·g²
        squaredScale = scalar(state, (1 - o.beta2()) / ((1 - o.beta1()) * (1 - o.beta1())));
    }

    private static NDArray scalar(NDManager scope, double value) {
        return Tensors.scalar(scope, value, DataType.FLOAT32);
    }

    @Override
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(o.beta1(), step);
        double bc2 = 1 - Math.pow(o.beta2(), step);
        try (NDManager s = state.newSubManager();
                Autograd paused = Autograd.pause()) {
            NDArray decay = scalar(s, 1 - lr * o.weightDecay());
            NDArray stepSize = scalar(s, lr / bc1);
            NDArray sqrtBc2 = scalar(s, Math.sqrt(bc2));
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                NDArray g = p.getGradient();
                g.attach(s);
                NDArray mi = m.get(i);
                NDArray vi = v.get(i);
                p.muli(decay);
                g.muli(oneMinusBeta1);
                mi.muli(beta1).addi(g);
                g.muli(g).muli(squaredScale);
                vi.muli(beta2).addi(g);
                // g becomes the step: m / (sqrt(v) / sqrt(bc2) + eps) · lr / bc1
                g.muli(zero)
                        .addi(vi)
                        .powi(half)
                        .divi(sqrtBc2)
                        .addi(eps)
                        .powi(minusOne)
                        .muli(mi)
                        .muli(stepSize);
                p.subi(g);
                g.muli(zero);
            }
        }
    }

    @Override
    public void close() {
        state.close();
    }
}
