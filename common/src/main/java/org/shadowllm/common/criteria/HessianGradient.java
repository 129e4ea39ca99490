package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;

/**
 * Grasp's Hessian-gradient product for one example, over the joint variables of {@link JointVector}
 * (every head's context and every fc1 weight): {@code g = ∇L} and {@code Hg}.
 *
 * <p>{@link #compute} uses the central difference {@code (∇L(x+εĝ) − ∇L(x−εĝ)) / 2ε · ‖g‖}: three
 * ordinary backward passes. For a ReLU FFN the two shifted passes keep the gates of the unshifted one, so a
 * step never crosses a kink; that is the Hessian double backward yields too (ReLU'' = 0 there). SwiGLU is
 * smooth: its shifted passes run the plain FFN. The variables are the neuron-input weights ({@code [F, E]}
 * fc1, or {@code [F, 2E]} gate and up rows), as grasp's neuron score reads them. The tests' {@code DoubleBackwardHessianGradient} differentiates {@code g·stop(g)} once more; it is
 * exact, but PyTorch's {@code backward(create_graph=True)} leaves each leaf's gradient holding a graph
 * that refers to the leaf, a cycle that DJL cannot break (about 9 MB per call on tiny-random-opt), so
 * it serves as the reference in tests only.
 */
public final class HessianGradient {
    private final DecoderModel model;
    private final double epsilon;

    /** @param epsilon step of the central difference along the unit gradient */
    public HessianGradient(DecoderModel model, double epsilon) {
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
    public HessianGradient(DecoderModel model) {
        this(model, model.dataType() == DataType.FLOAT64 ? 1e-6 : 3e-3);
    }

    /**
     * The grasp scores for heads {@code [L][H]} and neurons {@code [L][F]}, and, from
     * {@link #computeWithVectors} only, g and Hg themselves (null otherwise: at OPT-1.3B's shape each
     * is 3.2 GB as doubles).
     */
    public record Result(
            JointVector gradient, JointVector hessianGradient, float[][] headGrasp, float[][] neuronGrasp) {}

    /**
     * One pass's gradient as native arrays of the model's type, owned by the caller's scope: each
     * head's context gradient {@code [T*H*dHead]} and each fc1 weight gradient {@code [F, E]} (null
     * for a pass whose fc1 gradients were consumed layer by layer).
     */
    private record Gradient(NDArray[] heads, NDArray[] fc1) {}

    /**
     * Gradient at the example; for an unshifted pass its head contexts {@code [L][T*H*dHead]}; for a ReLU
     * FFN's unshifted pass its gates (null for SwiGLU).
     */
    private record Pass(Gradient gradient, double[][] context, float[][] gates) {}

    /** Scores only: g, the shifted gradient and one layer's difference at a time, never a double copy. */
    public Result compute(ScoredExample example) {
        try (DecoderModel.Exclusive held = model.exclusive()) {
            return centralDifference(example, false);
        }
    }

    /** Scores, g and Hg as double vectors: for tests and small models. */
    public Result computeWithVectors(ScoredExample example) {
        try (DecoderModel.Exclusive held = model.exclusive()) {
            return centralDifference(example, true);
        }
    }

    /**
     * Hg = (∇L(x+εĝ) − ∇L(x−εĝ)) · ‖g‖/2ε. What it holds at once: g and ∇L(x+εĝ) as native arrays of the
     * model's type (OPT-1.3B fp32: 1.6 GB each), one pass's activations and moved fc1 weights (1.6 GB),
     * and one layer's difference; the minus pass's fc1 gradients are formed, used and freed layer by
     * layer. (Moving fc1 by {@code X·Oᵀ} instead of forming {@code W + s·O} would save the moved weights,
     * but that product's rounding changed with the threading context: a job's grasp then differed from
     * the same computation on the test's thread by up to 4%.)
     */
    private Result centralDifference(ScoredExample example, boolean vectors) {
        int layers = model.config().numLayers();
        try (NDManager keep = model.weights().manager().newSubManager()) {
            Pass base = pass(keep, example, null, 0, null, null);
            Gradient g = base.gradient();
            double norm = Math.sqrt(squaredNorm(g));
            if (norm == 0) {
                JointVector zero = vectors ? toJoint(g.heads(), g.fc1()) : null;
                return scores(zero, zero, g.heads(), base.context(), l -> g.fc1()[l].duplicate());
            }
            double c = norm / (2 * epsilon);
            Gradient plus =
                    pass(keep, example, g, epsilon / norm, base.gates(), null).gradient();
            double[][] hgHeads = new double[layers][];
            float[][] neurons = new float[layers][];
            double[][] hgFc1 = vectors ? new double[layers][] : null;
            Gradient minus = pass(keep, example, g, -epsilon / norm, base.gates(), (l, dwMinus) -> {
                        try (NDManager layer = keep.newSubManager()) {
                            NDArray hg = plus.fc1()[l].sub(dwMinus).mul(c);
                            hg.attach(layer);
                            neurons[l] = neuronGrasp(l, hg);
                            if (vectors) {
                                hgFc1[l] = Tensors.doubles(hg);
                            }
                        }
                        plus.fc1()[l].close();
                    })
                    .gradient();
            NDArray[] hgHeadArrays = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                hgHeadArrays[l] = plus.heads()[l].sub(minus.heads()[l]).mul(c);
                hgHeads[l] = Tensors.doubles(hgHeadArrays[l]);
            }
            JointVector gv = vectors ? toJoint(g.heads(), g.fc1()) : null;
            JointVector hgv = vectors ? new JointVector(hgHeads, hgFc1) : null;
            return new Result(gv, hgv, headGrasp(hgHeads, base.context()), neurons);
        }
    }

    /** Receives each layer's fc1 weight gradient of a pass, then the pass frees it. */
    @FunctionalInterface
    private interface Fc1Consumer {
        void accept(int layer, NDArray fc1Gradient);
    }

    private static double squaredNorm(Gradient g) {
        double s = 0;
        for (NDArray[] part : new NDArray[][] {g.heads(), g.fc1()}) {
            for (NDArray a : part) {
                try (NDArray wide = a.toType(DataType.FLOAT64, true);
                        NDArray sq = wide.square();
                        NDArray sum = sq.sum()) {
                    s += sum.getDouble();
                }
            }
        }
        return s;
    }

    /** The joint gradient with the variables moved by {@code offset} (null for none), ReLU gates live. */
    public JointVector gradientAt(ScoredExample example, JointVector offset) {
        try (DecoderModel.Exclusive held = model.exclusive();
                NDManager keep = model.weights().manager().newSubManager()) {
            Gradient off = null;
            if (offset != null) {
                int layers = model.config().numLayers();
                NDArray[] h = new NDArray[layers];
                NDArray[] f = new NDArray[layers];
                for (int l = 0; l < layers; l++) {
                    h[l] = Tensors.of(keep, offset.heads()[l], new Shape(offset.heads()[l].length));
                    f[l] = Tensors.of(
                            keep,
                            offset.fc1()[l],
                            model.weights().layers().get(l).fc1Weight().getShape());
                }
                off = new Gradient(h, f);
            }
            Gradient g = pass(keep, example, off, 1, null, null).gradient();
            return toJoint(g.heads(), g.fc1());
        }
    }

    /**
     * One forward and backward; a ReLU FFN uses {@code gates} where given, else records its own. The
     * variables move by {@code scale · offset}. Each fc1 weight gradient goes to {@code consume} when
     * given (and is freed), else into the result, attached to {@code keep}.
     */
    private Pass pass(
            NDManager keep,
            ScoredExample example,
            Gradient offset,
            double scale,
            float[][] gates,
            Fc1Consumer consume) {
        int layers = model.config().numLayers();
        try (NDManager scope = model.weights().manager().newSubManager();
                Autograd rec = Autograd.record()) {
            ProbeTap tap = new ProbeTap(
                    scope,
                    layers,
                    ProbeTap.FfnProbe.OUTPUT,
                    offset == null ? null : offset.heads(),
                    offset == null ? null : offset.fc1(),
                    scale);
            // ReLU's gates are frozen at the unshifted pass's; SwiGLU is smooth, so its passes have none to keep
            if (model.config().family().ffn() == ModelFamily.Ffn.RELU) {
                if (gates != null) {
                    tap.freezeGates(gates);
                } else {
                    tap.recordGates();
                }
            }
            Autograd.backward(lossOf(scope, example, tap), false, false);
            NDArray[] gHead = new NDArray[layers];
            NDArray[] gFc1 = consume == null ? new NDArray[layers] : null;
            try (Autograd paused = Autograd.pause()) {
                for (int l = 0; l < layers; l++) {
                    gHead[l] = tap.headProbe[l].getGradient().reshape(-1).duplicate();
                    gHead[l].attach(keep);
                    NDArray dw = tap.fc1WeightGradient(l);
                    if (consume == null) {
                        gFc1[l] = dw;
                        dw.attach(keep);
                    } else {
                        consume.accept(l, dw);
                        dw.close();
                    }
                }
            }
            return new Pass(new Gradient(gHead, gFc1), offset == null ? contexts(tap) : null, tap.recordedGates());
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

    /** Head: {@code Σ_t |Σ_d −Hg·A|} from Hg's head part and the contexts. */
    float[][] headGrasp(double[][] hgHeads, double[][] context) {
        int layers = model.config().numLayers();
        int h = model.config().numHeads();
        int d = model.config().headDim();
        float[][] heads = new float[layers][h];
        for (int l = 0; l < layers; l++) {
            double[] hgA = hgHeads[l];
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
        }
        return heads;
    }

    /** The scores of a g and Hg given whole (the double-backward reference of the tests). */
    Result scores(JointVector g, JointVector hg, double[][] context) {
        int layers = model.config().numLayers();
        float[][] neurons = new float[layers][];
        for (int l = 0; l < layers; l++) {
            try (NDManager scope = model.weights().manager().newSubManager()) {
                NDArray w = model.weights().layers().get(l).fc1Weight();
                NDArray hgW = Tensors.of(scope, hg.fc1()[l], w.getShape()).toType(w.getDataType(), false);
                hgW.attach(scope);
                neurons[l] = neuronGrasp(l, hgW);
            }
        }
        return new Result(g, hg, headGrasp(hg.heads(), context), neurons);
    }

    private Result scores(
            JointVector g,
            JointVector hg,
            NDArray[] hgHeads,
            double[][] context,
            java.util.function.IntFunction<NDArray> hgFc1) {
        int layers = model.config().numLayers();
        double[][] heads = new double[layers][];
        float[][] neurons = new float[layers][];
        for (int l = 0; l < layers; l++) {
            heads[l] = Tensors.doubles(hgHeads[l]);
            try (NDArray hgW = hgFc1.apply(l)) {
                neurons[l] = neuronGrasp(l, hgW);
            }
        }
        return new Result(g, hg, headGrasp(heads, context), neurons);
    }

    /**
     * {@code Σ_j |Hg·W|} per neuron, computed by the engine in Hg's type: shared weights are never copied
     * out to Java, since reading one NDArray's buffer from several threads at once is not safe in DJL.
     */
    private float[] neuronGrasp(int layer, NDArray hgW) {
        NDArray w = model.weights().layers().get(layer).fc1Weight();
        try (NDManager scope = model.weights().manager().newSubManager()) {
            NDArray same = w.toType(hgW.getDataType(), true);
            same.attach(scope); // a result belongs to its input's manager: here the model's, which lives on
            NDArray product = hgW.mul(same);
            product.attach(scope);
            NDArray sums = product.abs().sum(new int[] {1});
            sums.attach(scope);
            return Tensors.floats(sums);
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
