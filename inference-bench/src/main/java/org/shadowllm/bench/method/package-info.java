/**
 * The sparsity methods (dense, static, random, oracle, DejaVu, ShadowLLM) as plans per sequence or per
 * token; the grid of method configurations a bench run compares ({@link org.shadowllm.bench.method.MethodGrid});
 * the predictors' runtimes and the set a run loads and checks ({@link org.shadowllm.bench.method.PredictorSet}).
 * Uses the sparse and engine packages and {@code common}; where predictors are stored is the caller's.
 */
package org.shadowllm.bench.method;
