/**
 * Held-out evaluation of a trained predictor: rank correlation and top-k recall, per layer and global.
 */
package org.shadowllm.trainer.eval;
