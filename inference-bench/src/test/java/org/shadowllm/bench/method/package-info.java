/**
 * Tests of the sparsity methods: predicted plans against a brute-force reference on OPT and Llama, and loading a
 * predictor, refused for another model's shape or another kind.
 */
package org.shadowllm.bench.method;
