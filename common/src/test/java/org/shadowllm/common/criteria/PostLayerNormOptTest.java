package org.shadowllm.common.criteria;

import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.widen;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.ReferenceOpt;
import org.shadowllm.common.ReferenceOpt.Perturbation;
import org.shadowllm.common.ReferenceOpt.Site;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * OPT-350m's layout: post-LayerNorm blocks, no final LayerNorm, and project_in/project_out between a
 * narrower embedding (32) and the hidden width (48), against the brute-force float64 reference.
 */
class PostLayerNormOptTest {
    static final DecoderConfig CONFIG = DecoderConfig.builder(ModelFamily.OPT)
            .shape(41, 48, 2, 4, 96)
            .maxPositions(24)
            .wordEmbedProjDim(32)
            .norms(false, false)
            .biases(true)
            .tieWordEmbeddings(true)
            .specialTokens(0, 0, 0)
            .build();
    static final int[] TOKENS = {0, 7, 30, 12, 5, 40, 19, 2};
    static final int CONTINUATION = 3;

    @TempDir
    Path dir;

    @Test
    void forwardFeaturesAndHeadSnipMatchTheReference() {
        Map<String, Tensor> weights = RandomCheckpoint.stateDict(CONFIG, 350L);
        RandomCheckpoint.write(dir, CONFIG, weights);
        ReferenceOpt reference = new ReferenceOpt(CONFIG, weights);
        ReferenceOpt.Trace trace = reference.run(TOKENS, CONTINUATION, Perturbation.NONE);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(dir, m, Device.cpu(), DataType.FLOAT64)) {
            ExampleImportance r = new CriteriaCalculator(model)
                    .compute(
                            List.of(new ScoredExample("post-ln", TOKENS, CONTINUATION)),
                            CriteriaOptions.singlePass().withLastLogits())
                    .get(0);
            assertClose("loss", new double[] {trace.loss()}, new double[] {r.loss()}, 1e-9, 1e-12);
            assertClose("last logits", trace.lastLogits(), widen(r.lastLogits()), 1e-5, 1e-7);
            int last = TOKENS.length - 2;
            int plan = TOKENS.length - CONTINUATION - 1;
            for (int l = 0; l < CONFIG.numLayers(); l++) {
                assertClose(
                        "residual_in_last " + l, trace.residualIn()[l][last], widen(r.residualInLast()[l]), 1e-5, 1e-7);
                assertClose(
                        "attn_context_last " + l, trace.context()[l][last], widen(r.attnContextLast()[l]), 1e-5, 1e-7);
                assertClose(
                        "residual_in_plan " + l, trace.residualIn()[l][plan], widen(r.residualInPlan()[l]), 1e-5, 1e-7);
                assertClose(
                        "attn_context_plan " + l, trace.context()[l][plan], widen(r.attnContextPlan()[l]), 1e-5, 1e-7);
                for (int h = 0; h < CONFIG.numHeads(); h++) {
                    // snip = |Σ_t Σ_d A·G|: the derivative of the loss along the head's own context.
                    double eps = 1e-6;
                    double up = 0;
                    int d = CONFIG.headDim();
                    for (int t = 0; t < TOKENS.length - 1; t++) {
                        for (int u = 0; u < d; u++) {
                            double a = trace.context()[l][t][h * d + u];
                            up += a
                                    * centralDifference(
                                            reference, new Perturbation(Site.HEAD_CONTEXT, l, t, h * d + u, eps));
                        }
                    }
                    assertClose(
                            "head snip " + l + "/" + h,
                            new double[] {Math.abs(up)},
                            new double[] {r.head(ImportanceCriterion.SNIP)[l][h]},
                            1e-5,
                            1e-10);
                }
            }
        }
    }

    private static double centralDifference(ReferenceOpt reference, Perturbation plus) {
        Perturbation minus = new Perturbation(plus.site(), plus.layer(), plus.row(), plus.col(), -plus.delta());
        return (reference.loss(TOKENS, CONTINUATION, plus) - reference.loss(TOKENS, CONTINUATION, minus))
                / (2 * plus.delta());
    }
}
