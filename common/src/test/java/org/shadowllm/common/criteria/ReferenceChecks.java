package org.shadowllm.common.criteria;

import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.flatten;
import static org.shadowllm.common.Tolerance.widen;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderModel;

/**
 * What the random-shape tests of every family check against their brute-force reference: each single-pass
 * criterion per head and neuron, both features at the last and plan positions, the last logits and the
 * target log-probabilities, each within {@code rel} and {@code abs} times its largest reference value.
 */
final class ReferenceChecks {
    private ReferenceChecks() {}

    /**
     * The reference's values for one example.
     *
     * @param context    {@code [layer][token][H·d]}: the heads' contexts
     * @param residualIn {@code [layer][token][E]}: the stream entering each layer
     */
    record Expected(
            Map<ImportanceCriterion, double[]> heads,
            Map<ImportanceCriterion, double[]> neurons,
            double[][][] context,
            double[][][] residualIn,
            double[] lastLogits,
            double[] targetLogprobs,
            int[] tokens,
            int continuation) {}

    /** The criteria of the example, computed by the model saved in {@code dir}, in {@code type}. */
    static ExampleImportance compute(
            Path dir, NDManager manager, DataType type, String id, int[] tokens, int continuation) {
        try (DecoderModel model = ModelCheckpoint.load(dir, manager, Device.cpu(), type)) {
            return new CriteriaCalculator(model)
                    .compute(
                            List.of(new ScoredExample(id, tokens, continuation)),
                            CriteriaOptions.singlePass().withLastLogits())
                    .get(0);
        }
    }

    static void check(String what, double[] expected, double[] actual, double rel, double abs) {
        double scale = 1e-30;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertClose(what, expected, actual, rel, abs * scale);
    }

    static void checkAll(ExampleImportance r, Expected x, double rel, double abs) {
        for (ImportanceCriterion c : ImportanceCriterion.SINGLE_PASS) {
            check("head " + c.key(), x.heads().get(c), flatten(r.head(c)), rel, abs);
            check("neuron " + c.key(), x.neurons().get(c), flatten(r.neuron(c)), rel, abs);
        }
        int last = x.tokens().length - 2;
        int plan = x.tokens().length - x.continuation() - 1;
        for (int l = 0; l < x.context().length; l++) {
            check("attn_context_last layer " + l, x.context()[l][last], widen(r.attnContextLast()[l]), rel, abs);
            check("residual_in_last layer " + l, x.residualIn()[l][last], widen(r.residualInLast()[l]), rel, abs);
            check("attn_context_plan layer " + l, x.context()[l][plan], widen(r.attnContextPlan()[l]), rel, abs);
            check("residual_in_plan layer " + l, x.residualIn()[l][plan], widen(r.residualInPlan()[l]), rel, abs);
        }
        check("last logits", x.lastLogits(), widen(r.lastLogits()), rel, abs);
        check("target logprobs", x.targetLogprobs(), widen(r.targetLogprobs()), rel, abs);
    }
}
