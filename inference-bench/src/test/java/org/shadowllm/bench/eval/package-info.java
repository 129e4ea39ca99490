/**
 * Tests of the measures: perplexity, zero-shot accuracy and latency on OPT and Llama, sequence scoring, shards that
 * combine into the one-run result, the items each measure keeps and the paired comparisons made from them, the
 * bootstrap and WikiText reading.
 */
package org.shadowllm.bench.eval;
