/**
 * The decoder in DJL for every family, driven by one description ({@code DecoderConfig},
 * {@code ModelFamily}): embeddings, the layer skeleton written once, norms, rotary positions, grouped-query
 * attention, ReLU or SwiGLU FFNs, the KV cache, unit masks and the taps where probes plug in. Pure math:
 * no IO.
 */
package org.shadowllm.common.model;
