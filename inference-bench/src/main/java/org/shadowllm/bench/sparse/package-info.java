/**
 * Sparse execution on DJL: per-layer plans of kept heads and neurons, the budgets that size them, and the
 * sparse model that skips pruned units' compute. Uses {@code common}'s model.
 */
package org.shadowllm.bench.sparse;
