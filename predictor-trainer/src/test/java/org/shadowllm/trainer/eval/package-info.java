/** Tests of the held-out metrics: rank correlation and recall against direct computations. */
package org.shadowllm.trainer.eval;
