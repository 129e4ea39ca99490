/**
 * The safetensors format: a bounds-checked reader (fp32, fp16, bf16; 64-bit offsets), streamed writers
 * that replace a file atomically, and half-float conversions.
 */
package org.shadowllm.common.safetensors;
