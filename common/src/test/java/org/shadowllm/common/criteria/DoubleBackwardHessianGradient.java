package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderModel;

/**
 * Exact Hg by double backward: the reference for {@link HessianGradient}'s central difference. It
 * leaks memory per call (see {@link HessianGradient}), so it lives with the tests.
 */
final class DoubleBackwardHessianGradient {
    private DoubleBackwardHessianGradient() {}

    static HessianGradient.Result compute(DecoderModel model, ScoredExample example) {
        HessianGradient hg = new HessianGradient(model);
        int layers = model.config().numLayers();
        try (DecoderModel.Exclusive held = model.exclusive();
                NDManager scope = model.weights().manager().newSubManager();
                Autograd rec = Autograd.record()) {
            ProbeTap tap = new ProbeTap(scope, layers, ProbeTap.FfnProbe.WEIGHT);
            NDArray loss = hg.lossOf(scope, example, tap);
            Autograd.backward(loss, true, true);
            NDArray z = null;
            NDArray[] gHead = new NDArray[layers];
            NDArray[] gFc1 = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                NDArray gh = tap.headProbe[l].getGradient();
                NDArray gw = tap.fc1Probe[l].getGradient();
                NDArray term = gh.mul(gh.stopGradient())
                        .sum()
                        .add(gw.mul(gw.stopGradient()).sum());
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
                for (int l = 0; l < layers; l++) {
                    // The second backward accumulates onto g, so Hg is what it added.
                    hgHead[l] = tap.headProbe[l].getGradient().sub(gHead[l]);
                    hgFc1[l] = tap.fc1Probe[l].getGradient().sub(gFc1[l]);
                }
                return hg.scores(
                        HessianGradient.toJoint(gHead, gFc1),
                        HessianGradient.toJoint(hgHead, hgFc1),
                        HessianGradient.contexts(tap));
            }
        }
    }
}
