package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;

/**
 * Records each layer's activations and adds gradient-carrying probes: on every head's context
 * ({@code A + P}, so {@code ∂L/∂P = ∂L/∂A}), on every neuron's post-ReLU output, and optionally on
 * fc1's weight. Probes start at zero unless offsets are given (for finite differences).
 */
final class ProbeTap implements LayerTap {
    final NDArray[] residualIn;
    final NDArray[] context;
    final NDArray[] ffnInput;
    final NDArray[] activation;
    final NDArray[] headProbe;
    final NDArray[] neuronProbe;
    final NDArray[] fc1Probe;
    private final NDManager scope;
    private final boolean probeWeights;
    private final NDArray[] headOffset;
    private final NDArray[] fc1Offset;
    private float[][] frozenGates;
    private float[][] recordedGates;

    ProbeTap(NDManager scope, int layers, boolean probeWeights, NDArray[] headOffset, NDArray[] fc1Offset) {
        this.scope = scope;
        this.probeWeights = probeWeights;
        this.headOffset = headOffset;
        this.fc1Offset = fc1Offset;
        residualIn = new NDArray[layers];
        context = new NDArray[layers];
        ffnInput = new NDArray[layers];
        activation = new NDArray[layers];
        headProbe = new NDArray[layers];
        neuronProbe = new NDArray[layers];
        fc1Probe = new NDArray[layers];
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
        if (!probeWeights) {
            return weight;
        }
        fc1Probe[layer] = Autograd.probe(initial(weight, fc1Offset, layer));
        return fc1Probe[layer].add(weight);
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
            NDArray o = offsets[layer].toType(like.getDataType(), true).reshape(like.getShape());
            o.attach(scope);
            return o;
        }
        return scope.zeros(like.getShape(), like.getDataType());
    }
}
