/**
 * Tests of the sparsity methods: predicted plans against a brute-force reference on OPT and Llama, loading a
 * predictor, refused for another model's shape or another kind, and the keys of the bench's enums.
 */
package org.shadowllm.bench.method;
