package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.model.Tensors;

/**
 * Grasp's Hessian-gradient product for one example, over the joint variables of {@link JointVector}
 * (every head's context and every fc1 weight): {@code g = ∇L} and {@code Hg}.
 *
 * <p>{@link #compute} uses the central difference {@code (∇L(x+εĝ) − ∇L(x−εĝ)) / 2ε · ‖g‖}: three
 * ordinary backward passes. The two shifted passes keep the ReLU gates of the unshifted one, so a step
 * never crosses a kink; that is the Hessian double backward yields too (ReLU'' = 0 there). The tests' {@code DoubleBackwardHessianGradient} differentiates {@code g·stop(g)} once more; it is
 * exact, but PyTorch's {@code backward(create_graph=True)} leaves each leaf's gradient holding a graph
 * that refers to the leaf, a cycle that DJL cannot break (about 9 MB per call on tiny-random-opt), so
 * it serves as the reference in tests only.
 */
public final class HessianGradient {
    private final OptModel model;
    private final double epsilon;

    /** @param epsilon step of the central difference along the unit gradient */
    public HessianGradient(OptModel model, double epsilon) {
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive, was " + epsilon);
        }
        this.model = model;
        this.epsilon = epsilon;
    }

    /**
     * The default step: 3e-3 for fp32, 1e-6 for fp64. On tiny-random-opt, fp32 with 3e-3 is within
     * 3e-5..5e-4 of fp64 double backward (1e-3: up to 1.3e-3; 1e-2: up to 4e-4; 3e-2: 3e-3).
     */
    public HessianGradient(OptModel model) {
        this(model, model.dataType() == DataType.FLOAT64 ? 1e-6 : 3e-3);
    }

    /** g and Hg, plus the grasp scores they imply for heads {@code [L][H]} and neurons {@code [L][F]}. */
    public record Result(
            JointVector gradient, JointVector hessianGradient, float[][] headGrasp, float[][] neuronGrasp) {}

    /** Gradient at the example, its head contexts {@code [L][T*H*dHead]} and its ReLU gates. */
    private record Pass(JointVector gradient, double[][] context, float[][] gates) {}

    public Result compute(ScoredExample example) {
        try (OptModel.Exclusive held = model.exclusive()) {
            return centralDifference(example);
        }
    }

    private Result centralDifference(ScoredExample example) {
        Pass base = pass(example, null, null);
        JointVector g = base.gradient();
        double norm = g.norm();
        if (norm == 0) {
            return scores(g, g, base.context());
        }
        JointVector step = g.scale(epsilon / norm);
        JointVector plus = pass(example, step, base.gates()).gradient();
        JointVector minus = pass(example, step.scale(-1), base.gates()).gradient();
        JointVector hg = plus.combine(norm / (2 * epsilon), minus, -norm / (2 * epsilon));
        return scores(g, hg, base.context());
    }

    /** The joint gradient with the variables moved by {@code offset} (null for none), ReLU gates live. */
    public JointVector gradientAt(ScoredExample example, JointVector offset) {
        try (OptModel.Exclusive held = model.exclusive()) {
            return pass(example, offset, null).gradient();
        }
    }

    /** One forward and backward; with {@code gates} the FFN uses them, else it records its own. */
    private Pass pass(ScoredExample example, JointVector offset, float[][] gates) {
        int layers = model.config().numLayers();
        try (NDManager scope = model.weights().manager().newSubManager();
                Autograd rec = Autograd.record()) {
            NDArray[] headOffset = null;
            NDArray[] fc1Offset = null;
            if (offset != null) {
                headOffset = new NDArray[layers];
                fc1Offset = new NDArray[layers];
                for (int l = 0; l < layers; l++) {
                    headOffset[l] = Tensors.of(scope, offset.heads()[l], new Shape(offset.heads()[l].length));
                    fc1Offset[l] = Tensors.of(scope, offset.fc1()[l], new Shape(offset.fc1()[l].length));
                }
            }
            ProbeTap tap = new ProbeTap(scope, layers, true, headOffset, fc1Offset);
            if (gates != null) {
                tap.freezeGates(gates);
            } else {
                tap.recordGates();
            }
            Autograd.backward(lossOf(scope, example, tap), false, false);
            NDArray[] gHead = new NDArray[layers];
            NDArray[] gFc1 = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                gHead[l] = tap.headProbe[l].getGradient();
                gFc1[l] = tap.fc1Probe[l].getGradient();
            }
            return new Pass(toJoint(gHead, gFc1), gates == null ? contexts(tap) : null, tap.recordedGates());
        }
    }

    NDArray lossOf(NDManager scope, ScoredExample example, ProbeTap tap) {
        TokenBatch batch = new TokenBatch(List.of(example), model.config(), scope, model.dataType());
        NDArray hidden = model.forward(scope, batch.inputIds, tap, null);
        return batch.loss(batch.targetLogprobs(model, scope, hidden));
    }

    static double[][] contexts(ProbeTap tap) {
        double[][] c = new double[tap.context.length][];
        for (int l = 0; l < c.length; l++) {
            c[l] = Tensors.doubles(tap.context[l]);
        }
        return c;
    }

    /** Head: {@code Σ_t |Σ_d −Hg·A|}; neuron: {@code Σ_j |−Hg·W|}. */
    Result scores(JointVector g, JointVector hg, double[][] context) {
        int layers = model.config().numLayers();
        int h = model.config().numHeads();
        int d = model.config().headDim();
        int e = model.config().hiddenSize();
        int f = model.config().ffnDim();
        float[][] heads = new float[layers][h];
        float[][] neurons = new float[layers][f];
        for (int l = 0; l < layers; l++) {
            double[] hgA = hg.heads()[l];
            int tokens = hgA.length / (h * d);
            for (int t = 0; t < tokens; t++) {
                for (int hh = 0; hh < h; hh++) {
                    double s = 0;
                    int base = (t * h + hh) * d;
                    for (int u = 0; u < d; u++) {
                        s -= hgA[base + u] * context[l][base + u];
                    }
                    heads[l][hh] += (float) Math.abs(s);
                }
            }
            neurons[l] = neuronGrasp(l, hg.fc1()[l]);
        }
        return new Result(g, hg, heads, neurons);
    }

    /**
     * {@code Σ_j |Hg·W|} per neuron, computed by the engine: shared weights are never copied out to
     * Java, since reading one NDArray's buffer from several threads at once is not safe in DJL.
     */
    private float[] neuronGrasp(int layer, double[] hgW) {
        NDArray w = model.weights().layers().get(layer).fc1Weight();
        try (NDManager scope = model.weights().manager().newSubManager()) {
            NDArray hg = Tensors.of(scope, hgW, w.getShape());
            NDArray wide = w.toType(DataType.FLOAT64, true);
            wide.attach(scope); // a result belongs to its input's manager: here the model's, which lives on
            NDArray product = hg.mul(wide);
            return Tensors.floats(product.abs().sum(new int[] {1}));
        }
    }

    static JointVector toJoint(NDArray[] heads, NDArray[] fc1) {
        double[][] h = new double[heads.length][];
        double[][] f = new double[fc1.length][];
        for (int l = 0; l < heads.length; l++) {
            h[l] = Tensors.doubles(heads[l]);
            f[l] = Tensors.doubles(fc1[l]);
        }
        return new JointVector(h, f);
    }
}
