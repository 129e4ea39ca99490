/**
 * The bench's measures: perplexity (ours and the paper's protocol), zero-shot accuracy, latency, and the
 * bootstrap intervals. Uses the sparse and method packages and {@code common}.
 */
package org.shadowllm.bench.eval;
