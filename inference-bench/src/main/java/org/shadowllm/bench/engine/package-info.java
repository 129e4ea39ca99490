/**
 * The plain-Java decode engine: one token at a time with a KV cache, weights as unit rows in fp32 or packed
 * bf16 (predictors also int8 with a scale per row), Vector API kernels each checked against a plain loop, a worker pool. Uses {@code common}; no DJL
 * in its hot loop.
 */
package org.shadowllm.bench.engine;
