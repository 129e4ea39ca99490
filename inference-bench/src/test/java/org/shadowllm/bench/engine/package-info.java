/**
 * Tests of the plain-Java decode engine: against DJL's model and golden outputs, dense and under the predicted
 * methods' plans, in fp32 and bf16, and its kernels, weight formats and worker pool.
 */
package org.shadowllm.bench.engine;
