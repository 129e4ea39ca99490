/**
 * Predictor networks and their artifacts: which features each kind reads, the model shape it scores,
 * manifests and weights on disk, top-k plans and rank metrics. Uses DJL for the forward pass and the
 * safetensors package for the weights.
 */
package org.shadowllm.common.predictor;
