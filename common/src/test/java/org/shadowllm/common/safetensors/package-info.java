/**
 * Tests of the safetensors formats: half and bfloat16 round trips and rounding, and writers that leave nothing behind
 * when they fail.
 */
package org.shadowllm.common.safetensors;
