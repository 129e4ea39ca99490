package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;

/**
 * Records each layer's activations and adds gradient-carrying probes: on every head's context
 * ({@code A + P}, so {@code ∂L/∂P = ∂L/∂A}), on every neuron's post-ReLU output, and, for grasp, on
 * fc1 ({@link FfnProbe}). Probes start at zero unless offsets are given (for finite differences).
 */
final class ProbeTap implements LayerTap {
    /** How fc1's weight gradient is obtained. */
    enum FfnProbe {
        /** Not at all. */
        NONE,
        /**
         * A probe the size of the weight ({@code [F, E]}, plus its sum with the weight and its gradient):
         * differentiable twice, for the double-backward reference of the tests.
         */
        WEIGHT,
        /**
         * A probe on fc1's output ({@code [B, T, F]}): the weight gradient is {@code dZᵀ·X}, formed layer by
         * layer after the backward pass. A pass holds no weight-sized probe nor its gradient (OPT-1.3B: 1.6 GB
         * each in fp32); a moved weight, where there is an offset, is a constant of the pass.
         */
        OUTPUT
    }

    final NDArray[] residualIn;
    final NDArray[] context;
    final NDArray[] ffnInput;
    final NDArray[] activation;
    final NDArray[] headProbe;
    final NDArray[] neuronProbe;
    final NDArray[] fc1Probe;
    final NDArray[] fc1OutputProbe;
    /** fc1's output before the nonlinearity ({@code [B, T, rows·F]}; for SwiGLU gate and up interleaved). */
    final NDArray[] preActivation;

    private final NDManager scope;
    private final FfnProbe ffnProbe;
    private final NDArray[] headOffset;
    private final NDArray[] fc1Offset;
    private final double offsetScale;
    private float[][] frozenGates;
    private float[][] recordedGates;

    ProbeTap(NDManager scope, int layers, FfnProbe ffnProbe) {
        this(scope, layers, ffnProbe, null, null, 1);
    }

    /**
     * @param headOffset per layer, the heads' context probes start at {@code offsetScale · headOffset[l]}
     * @param fc1Offset per layer, fc1's weight is moved by {@code offsetScale · fc1Offset[l]} ({@code [F, E]})
     */
    ProbeTap(
            NDManager scope,
            int layers,
            FfnProbe ffnProbe,
            NDArray[] headOffset,
            NDArray[] fc1Offset,
            double offsetScale) {
        this.scope = scope;
        this.ffnProbe = ffnProbe;
        this.headOffset = headOffset;
        this.fc1Offset = fc1Offset;
        this.offsetScale = offsetScale;
        residualIn = new NDArray[layers];
        context = new NDArray[layers];
        ffnInput = new NDArray[layers];
        activation = new NDArray[layers];
        headProbe = new NDArray[layers];
        neuronProbe = new NDArray[layers];
        fc1Probe = new NDArray[layers];
        fc1OutputProbe = new NDArray[layers];
        preActivation = new NDArray[layers];
    }

    /** Records each layer's ReLU gate pattern {@code 1[z > 0]} so later passes can reuse it. */
    ProbeTap recordGates() {
        recordedGates = new float[residualIn.length][];
        return this;
    }

    float[][] recordedGates() {
        return recordedGates;
    }

    /** Uses fixed gates instead of ReLU: the FFN becomes {@code z · gate}, smooth in every variable. */
    ProbeTap freezeGates(float[][] gates) {
        frozenGates = gates;
        return this;
    }

    /**
     * fc1's weight gradient {@code [F, E]} after the backward pass, in the {@link FfnProbe#OUTPUT} mode:
     * {@code dZᵀ·X} over the batch's tokens. The caller owns (and closes) the result.
     */
    NDArray fc1WeightGradient(int layer) {
        NDArray dz = fc1OutputProbe[layer].getGradient();
        NDArray x = ffnInput[layer];
        long z = dz.getShape().get(dz.getShape().dimension() - 1);
        long e = x.getShape().get(x.getShape().dimension() - 1);
        NDArray rows = dz.reshape(-1, z).transpose().matMul(x.reshape(-1, e));
        // SwiGLU's [2F, E] rows (gate, up interleaved) are its neurons' [F, 2E] input weights
        Shape act = activation[layer].getShape();
        return rows.reshape(act.get(act.dimension() - 1), -1);
    }

    @Override
    public NDArray ffnGate(int layer, NDArray preActivation) {
        if (frozenGates != null) {
            NDArray gate = Tensors.of(scope, frozenGates[layer], preActivation.getShape())
                    .toType(preActivation.getDataType(), false);
            return preActivation.mul(gate);
        }
        NDArray act = LayerTap.super.ffnGate(layer, preActivation);
        if (recordedGates != null) {
            recordedGates[layer] =
                    Tensors.floats(preActivation.gt(Tensors.scalar(scope, 0, preActivation.getDataType())));
        }
        return act;
    }

    @Override
    public void residualIn(int layer, NDArray residual) {
        residualIn[layer] = residual;
    }

    @Override
    public NDArray attentionContext(int layer, NDArray ctx) {
        context[layer] = ctx;
        headProbe[layer] = Autograd.probe(initial(ctx, headOffset, layer));
        return ctx.add(headProbe[layer]);
    }

    @Override
    public NDArray fc1Weight(int layer, NDArray weight) {
        if (ffnProbe == FfnProbe.OUTPUT && fc1Offset != null && fc1Offset[layer] != null) {
            // the moved weight, formed as the weight probe formed it, so both round alike; a constant here
            NDArray o = fc1Offset[layer].toType(weight.getDataType(), true).mul(offsetScale);
            o.attach(scope);
            NDArray moved = o.add(weight);
            moved.attach(scope);
            return moved;
        }
        if (ffnProbe != FfnProbe.WEIGHT) {
            return weight;
        }
        fc1Probe[layer] = Autograd.probe(initial(weight, fc1Offset, layer));
        return fc1Probe[layer].add(weight);
    }

    @Override
    public NDArray fc1Output(int layer, NDArray input, NDArray preActivation) {
        this.preActivation[layer] = preActivation;
        if (ffnProbe != FfnProbe.OUTPUT) {
            return preActivation;
        }
        ffnInput[layer] = input;
        fc1OutputProbe[layer] = Autograd.probe(scope.zeros(preActivation.getShape(), preActivation.getDataType()));
        return preActivation.add(fc1OutputProbe[layer]);
    }

    @Override
    public NDArray ffnActivation(int layer, NDArray act, NDArray input) {
        activation[layer] = act;
        ffnInput[layer] = input;
        neuronProbe[layer] = Autograd.probe(scope.zeros(act.getShape(), act.getDataType()));
        return act.add(neuronProbe[layer]);
    }

    private NDArray initial(NDArray like, NDArray[] offsets, int layer) {
        if (offsets != null && offsets[layer] != null) {
            NDArray o = offsets[layer]
                    .toType(like.getDataType(), true)
                    .reshape(like.getShape())
                    .mul(offsetScale);
            o.attach(scope);
            return o;
        }
        return scope.zeros(like.getShape(), like.getDataType());
    }
}
