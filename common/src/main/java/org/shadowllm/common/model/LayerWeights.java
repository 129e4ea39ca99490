package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;

/**
 * One decoder layer's parameters, in Hugging Face orientation ({@code [out, in]}). Q, K and V are
 * fused into one {@code [3E, E]} matrix so the attention input takes one matmul.
 */
public record LayerWeights(
        NDArray attnNormWeight,
        NDArray attnNormBias,
        NDArray qkvWeight,
        NDArray qkvBias,
        NDArray outWeight,
        NDArray outBias,
        NDArray ffnNormWeight,
        NDArray ffnNormBias,
        NDArray fc1Weight,
        NDArray fc1Bias,
        NDArray fc2Weight,
        NDArray fc2Bias) {}
