/**
 * Tests of the predictors' parts: feature scaling, artifacts saved and read back (bit for bit, killed mid-save,
 * tampered, for another shape), ranks and top-k selection.
 */
package org.shadowllm.common.predictor;
