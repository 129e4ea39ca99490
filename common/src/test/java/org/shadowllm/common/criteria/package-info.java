/**
 * Tests of the importance criteria against float64 references and golden values, on OPT (pre- and post-LN) and Llama
 * of random shapes, set-level criteria, batching, and a model shared by threads.
 */
package org.shadowllm.common.criteria;
