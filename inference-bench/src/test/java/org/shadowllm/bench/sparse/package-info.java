/**
 * Tests of sparse execution against dense and masked-dense references (OPT pre-LN and post-LN, Llama), of the sparsity
 * budget, and the random plans the other tests share (PlanFixtures).
 */
package org.shadowllm.bench.sparse;
