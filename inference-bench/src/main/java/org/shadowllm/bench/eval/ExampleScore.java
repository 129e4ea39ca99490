package org.shadowllm.bench.eval;

import java.io.Serializable;
import java.util.Objects;
import org.shadowllm.common.tasks.FewShotTask;

/**
 * One multiple-choice example as {@link ZeroShotEval} scored it: whether {@code acc} (highest
 * continuation log-likelihood) and {@code acc_norm} (highest per character) picked the gold choice, and
 * the log-likelihoods of the choice {@code acc} picked and of the gold one (equal when it picked gold).
 *
 * @param index its place in the task's example list, from 0: the order of a task's items
 * @param id    the example's id in its task file: what pairs it with another method's
 */
public record ExampleScore(
        FewShotTask task,
        int index,
        String id,
        boolean correct,
        boolean correctNorm,
        double chosenLogLikelihood,
        double goldLogLikelihood)
        implements Serializable {
    public ExampleScore {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(id, "id");
        if (index < 0) {
            throw new IllegalArgumentException(task.key() + " example " + id + ": index " + index + " < 0");
        }
        // acc picks the highest log-likelihood, so the gold choice's is never above the chosen one's
        if (!(chosenLogLikelihood >= goldLogLikelihood) || (correct && chosenLogLikelihood != goldLogLikelihood)) {
            throw new IllegalArgumentException(String.format(
                    "%s example %s: chosen log-likelihood %s and gold %s disagree with correct=%s",
                    task.key(), id, chosenLogLikelihood, goldLogLikelihood, correct));
        }
    }
}
