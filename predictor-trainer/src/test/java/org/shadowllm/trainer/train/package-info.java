/**
 * Tests of predictor training: the networks learn a known scoring far better than an untrained one, seeds give
 * identical weights, divergence is a clear error, and AdamW follows PyTorch's rule.
 */
package org.shadowllm.trainer.train;
