/**
 * The sparsity methods (dense, static, random, oracle, DejaVu, ShadowLLM) as plans per sequence or per
 * token, and the predictors' runtimes. Uses the sparse package and {@code common}.
 */
package org.shadowllm.bench.method;
