/**
 * Hugging Face checkpoints of every family: {@code config.json} read exactly, the weights in any layout
 * (safetensors or {@code .bin}, sharded or not), the family's own files (config keys, tensor names,
 * behind {@code CheckpointFamily}), fingerprints, and seeded random checkpoints. Uses the model, safetensors
 * and pytorch packages.
 */
package org.shadowllm.common.checkpoint;
