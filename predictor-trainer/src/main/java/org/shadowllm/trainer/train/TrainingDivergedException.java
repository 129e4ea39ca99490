package org.shadowllm.trainer.train;

/** Training produced a non-finite loss; the run stops rather than save a broken predictor. */
public final class TrainingDivergedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    TrainingDivergedException(String message) {
        super(message);
    }
}
