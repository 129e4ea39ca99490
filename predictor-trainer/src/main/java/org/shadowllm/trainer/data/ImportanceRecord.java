package org.shadowllm.trainer.data;

import org.shadowllm.common.predictor.PredictorShape;

/**
 * One scored example as the trainer needs it: the features at one token position and the chosen
 * criterion's scores, all layer-major as in {@code criteria_examples}.
 *
 * @param splitKey the underlying example ({@code task/example_id}); every prompt of it, at any shot
 *                 count, lands on the same side of the split
 */
public record ImportanceRecord(
        String splitKey,
        String task,
        int shots,
        String exampleId,
        float[] attnContext,
        float[] residualIn,
        float[] heads,
        float[] neurons) {

    /** Throws a clear error unless every array has the length {@code shape} implies and holds finite values. */
    public void validate(PredictorShape shape) {
        int le = shape.layers() * shape.hidden();
        check("attention-context features", attnContext, le);
        check("residual-stream features", residualIn, le);
        check("head scores", heads, shape.layers() * shape.heads());
        check("neuron scores", neurons, shape.layers() * shape.ffn());
    }

    private void check(String what, float[] values, int expected) {
        if (values == null) {
            throw new IllegalArgumentException(where() + ": " + what + " is missing");
        }
        if (values.length != expected) {
            throw new IllegalArgumentException(
                    where() + ": " + what + " has " + values.length + " values, expected " + expected);
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(where() + ": " + what + "[" + i + "] is " + values[i]);
            }
        }
    }

    private String where() {
        return task + " " + shots + "-shot example '" + exampleId + "'";
    }
}
