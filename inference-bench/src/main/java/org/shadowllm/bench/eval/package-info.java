/**
 * The bench's measures: perplexity (ours and the paper's protocol), zero-shot accuracy, latency, and the
 * bootstrap intervals; the per-item scores they keep (windows, documents, examples) and the paired
 * comparison of two methods on the same items. Uses the sparse and method packages and {@code common}.
 */
package org.shadowllm.bench.eval;
