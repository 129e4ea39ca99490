/**
 * Tests of reading checkpoints: safetensors and PyTorch .bin (single or sharded) to the same weights, configs,
 * fingerprints, and bad input refused with clear errors.
 */
package org.shadowllm.common.checkpoint;
