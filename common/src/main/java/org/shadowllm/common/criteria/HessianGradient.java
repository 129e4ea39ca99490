package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.OptModel;

import java.util.List;

/**
 * The gradient {@code g} of one example's loss over grasp's joint variables (head contexts and fc1
 * weights, see {@link JointVector}) and the Hessian-gradient product {@code Hg = ∇(g·stop(g))}, by
 * double backward: one forward, one backward with a graph, one more backward.
 */
public final class HessianGradient {
    private final OptModel model;

    public HessianGradient(OptModel model) {
        this.model = model;
    }

    /** g and Hg, plus the grasp scores they imply for heads {@code [L][H]} and neurons {@code [L][F]}. */
    public record Result(JointVector gradient, JointVector hessianGradient, float[][] headGrasp, float[][] neuronGrasp) {
    }

    public Result compute(ScoredExample example) {
        int layers = model.config().numLayers();
        try (NDManager scope = model.weights().manager().newSubManager(); Autograd rec = Autograd.record()) {
            ProbeTap tap = new ProbeTap(scope, layers, true, null, null);
            NDArray loss = lossOf(scope, example, tap);
            Autograd.backward(loss, true, true);
            NDArray z = null;
            NDArray[] gHead = new NDArray[layers];
            NDArray[] gFc1 = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                NDArray gh = tap.headProbe[l].getGradient();
                NDArray gw = tap.fc1Probe[l].getGradient();
                NDArray term = gh.mul(gh.stopGradient()).sum().add(gw.mul(gw.stopGradient()).sum());
                z = z == null ? term : z.add(term);
                try (Autograd p = Autograd.pause()) {
                    gHead[l] = gh.duplicate();
                    gFc1[l] = gw.duplicate();
                }
            }
            Autograd.backward(z, false, false);
            try (Autograd p = Autograd.pause()) {
                NDArray[] hgHead = new NDArray[layers];
                NDArray[] hgFc1 = new NDArray[layers];
                float[][] headScores = new float[layers][];
                float[][] neuronScores = new float[layers][];
                for (int l = 0; l < layers; l++) {
                    // The second backward accumulates onto g, so Hg is what it added.
                    hgHead[l] = tap.headProbe[l].getGradient().sub(gHead[l]);
                    hgFc1[l] = tap.fc1Probe[l].getGradient().sub(gFc1[l]);
                    // Σ_t |Σ_d −Hg·A| for heads; Σ_j |−Hg·W| for neurons.
                    headScores[l] = hgHead[l].mul(tap.context[l]).sum(new int[] {3}).abs().sum(new int[] {1})
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    neuronScores[l] = hgFc1[l].mul(model.weights().layers().get(l).fc1Weight()).abs()
                            .sum(new int[] {1}).toType(DataType.FLOAT32, false).toFloatArray();
                }
                return new Result(toJoint(gHead, gFc1), toJoint(hgHead, hgFc1), headScores, neuronScores);
            }
        }
    }

    /** The joint gradient with the variables moved by {@code offset} (for finite-difference checks). */
    public JointVector gradientAt(ScoredExample example, JointVector offset) {
        int layers = model.config().numLayers();
        try (NDManager scope = model.weights().manager().newSubManager(); Autograd rec = Autograd.record()) {
            NDArray[] headOffset = new NDArray[layers];
            NDArray[] fc1Offset = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                headOffset[l] = scope.create(offset.heads()[l]);
                fc1Offset[l] = scope.create(offset.fc1()[l]);
            }
            ProbeTap tap = new ProbeTap(scope, layers, true, headOffset, fc1Offset);
            Autograd.backward(lossOf(scope, example, tap), false, false);
            NDArray[] gHead = new NDArray[layers];
            NDArray[] gFc1 = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                gHead[l] = tap.headProbe[l].getGradient();
                gFc1[l] = tap.fc1Probe[l].getGradient();
            }
            return toJoint(gHead, gFc1);
        }
    }

    private NDArray lossOf(NDManager scope, ScoredExample example, ProbeTap tap) {
        TokenBatch batch = new TokenBatch(List.of(example), model.config(), scope, model.dataType());
        NDArray hidden = model.forward(scope, batch.inputIds, tap, null);
        return batch.loss(batch.targetLogprobs(model, scope, hidden));
    }

    private static JointVector toJoint(NDArray[] heads, NDArray[] fc1) {
        double[][] h = new double[heads.length][];
        double[][] f = new double[fc1.length][];
        for (int l = 0; l < heads.length; l++) {
            h[l] = heads[l].toType(DataType.FLOAT64, false).toDoubleArray();
            f[l] = fc1[l].toType(DataType.FLOAT64, false).toDoubleArray();
        }
        return new JointVector(h, f);
    }
}
