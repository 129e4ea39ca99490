package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;

/**
 * Points inside a decoder layer where callers observe or replace tensors: masks, zero-valued
 * gradient probes and traces all plug in here, since DJL blocks offer no forward hooks.
 * Every method returns the tensor that the forward pass continues with.
 */
public interface LayerTap {
    LayerTap NONE = new LayerTap() {};

    /** The residual stream entering layer {@code layer}, {@code [B, T, E]}, before its LayerNorm. */
    default void residualIn(int layer, NDArray residual) {}

    /** The attention context of every head, {@code [B, T, H, dHead]}: the input of out_proj. */
    default NDArray attentionContext(int layer, NDArray context) {
        return context;
    }

    /** The fc1 weight {@code [F, E]} used for this pass. */
    default NDArray fc1Weight(int layer, NDArray weight) {
        return weight;
    }

    /**
     * fc1's output {@code [B, T, F]} before the nonlinearity; {@code ffnInput} is what fc1 read
     * ({@code [B, T, E]}). A tap may add to it (a weight offset as {@code ffnInput · offsetᵀ}, a probe).
     */
    default NDArray fc1Output(int layer, NDArray ffnInput, NDArray preActivation) {
        return preActivation;
    }

    /** The FFN nonlinearity applied to fc1's output {@code [B, T, F]}: ReLU unless a tap fixes the gates. */
    default NDArray ffnGate(int layer, NDArray preActivation) {
        return ai.djl.nn.Activation.relu(preActivation);
    }

    /**
     * The post-ReLU output of fc1, {@code [B, T, F]}; {@code ffnInput} is what fc1 read
     * (the normalized residual, {@code [B, T, E]}).
     */
    default NDArray ffnActivation(int layer, NDArray activation, NDArray ffnInput) {
        return activation;
    }
}
