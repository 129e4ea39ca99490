/**
 * Held-out evaluation of a trained predictor: rank correlation and top-k recall, per layer and global, and
 * how far its scores and plans drift with its weights stored at a lower precision.
 */
package org.shadowllm.trainer.eval;
