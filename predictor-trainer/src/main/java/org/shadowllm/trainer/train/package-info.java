/**
 * Predictor training in DJL: AdamW, a cosine schedule, MSE loss, seeded initialisation.
 */
package org.shadowllm.trainer.train;
