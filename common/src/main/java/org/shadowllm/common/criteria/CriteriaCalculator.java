package org.shadowllm.common.criteria;

import static org.shadowllm.common.criteria.ImportanceCriterion.FISHER;
import static org.shadowllm.common.criteria.ImportanceCriterion.GRADNORM;
import static org.shadowllm.common.criteria.ImportanceCriterion.GRASP;
import static org.shadowllm.common.criteria.ImportanceCriterion.L2NORM;
import static org.shadowllm.common.criteria.ImportanceCriterion.NWOT;
import static org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT;
import static org.shadowllm.common.criteria.ImportanceCriterion.SNIP;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;

/**
 * Computes CRITERIA.md's per-example criteria for a batch of examples. One forward and one backward
 * pass over the padded batch give every criterion but grasp: probes on head contexts and neuron
 * activations carry {@code G} and {@code g}, and the per-example fc1 weight gradient is {@code δᵀx}
 * (δ = g where the neuron fired), so examples in a batch never share a gradient. Grasp runs one
 * double-backward pass per example ({@link HessianGradient}).
 */
public final class CriteriaCalculator {
    private static final double NWOT_EPS = 1e-12;

    private final DecoderModel model;
    private final DecoderConfig config;

    public CriteriaCalculator(DecoderModel model) {
        this.model = model;
        this.config = model.config();
    }

    public List<ExampleImportance> compute(List<ScoredExample> examples, CriteriaOptions options) {
        if (examples.isEmpty()) {
            return List.of();
        }
        try (DecoderModel.Exclusive held = model.exclusive()) {
            List<ExampleImportance> out = singlePass(examples, options);
            if (options.criteria().contains(GRASP)) {
                HessianGradient hg = new HessianGradient(model);
                for (int b = 0; b < out.size(); b++) {
                    HessianGradient.Result r = hg.compute(examples.get(b));
                    out.set(b, out.get(b).with(GRASP, r.headGrasp(), r.neuronGrasp()));
                }
            }
            return out;
        }
    }

    private List<ExampleImportance> singlePass(List<ScoredExample> examples, CriteriaOptions options) {
        Set<ImportanceCriterion> wanted = options.criteria();
        int layers = config.numLayers();
        DataType type = model.dataType();
        try (NDManager scope = model.weights().manager().newSubManager();
                Autograd rec = Autograd.record()) {
            TokenBatch batch = new TokenBatch(examples, config, scope, type);
            ProbeTap tap = new ProbeTap(scope, layers, ProbeTap.FfnProbe.NONE);
            NDArray hidden = model.forward(scope, batch.inputIds, tap, null);
            NDArray logprobs = batch.targetLogprobs(model, scope, hidden);
            Autograd.backward(batch.loss(logprobs), false, false);
            try (Autograd p = Autograd.pause()) {
                int bsz = batch.batch;
                Map<ImportanceCriterion, List<NDArray>> headParts = new EnumMap<>(ImportanceCriterion.class);
                Map<ImportanceCriterion, List<NDArray>> neuronParts = new EnumMap<>(ImportanceCriterion.class);
                List<NDArray> ctxLast = new ArrayList<>();
                List<NDArray> resLast = new ArrayList<>();
                List<NDArray> ctxPlan = new ArrayList<>();
                List<NDArray> resPlan = new ArrayList<>();
                NDArray valid4 = batch.valid.reshape(bsz, batch.tokens, 1, 1);
                NDArray valid3 = batch.valid.reshape(bsz, batch.tokens, 1);
                PassConstants constants = new PassConstants(batch, scope, config.headDim());
                for (int l = 0; l < layers; l++) {
                    // a layer's [B, T, F] temporaries (a dozen at OPT-1.3B: 50 MB each for two 800-token
                    // prompts) go when the layer is scored, not when the pass ends
                    try (NDManager layerScope = scope.newSubManager()) {
                        tap.context[l].tempAttach(layerScope);
                        tap.activation[l].tempAttach(layerScope);
                        tap.preActivation[l].tempAttach(layerScope);
                        valid4.tempAttach(layerScope);
                        valid3.tempAttach(layerScope);
                        headScores(l, tap, constants, valid4, wanted, headParts, scope);
                        neuronScores(l, tap, constants, valid3, wanted, neuronParts, scope);
                    }
                    ctxLast.add(TokenBatch.rowsAt(tap.context[l], batch.lastPositions)
                            .reshape(bsz, -1));
                    resLast.add(TokenBatch.rowsAt(tap.residualIn[l], batch.lastPositions));
                    ctxPlan.add(TokenBatch.rowsAt(tap.context[l], batch.planPositions)
                            .reshape(bsz, -1));
                    resPlan.add(TokenBatch.rowsAt(tap.residualIn[l], batch.planPositions));
                }
                float[][][] ctx = perExample(ctxLast, bsz);
                float[][][] res = perExample(resLast, bsz);
                float[][][] ctxAtPlan = perExample(ctxPlan, bsz);
                float[][][] resAtPlan = perExample(resPlan, bsz);
                Map<ImportanceCriterion, float[][][]> heads = perExample(headParts, bsz);
                Map<ImportanceCriterion, float[][][]> neurons = perExample(neuronParts, bsz);
                float[] lp = Tensors.floats(logprobs);
                float[][] lastLogits = options.keepLastLogits() ? lastLogits(scope, hidden, batch) : null;
                float[][][][][] grads = options.keepHeadGradients() ? headGradients(tap, batch) : null;
                List<ExampleImportance> out = new ArrayList<>(bsz);
                for (int b = 0; b < bsz; b++) {
                    int from = batch.targetStart[b];
                    int to = batch.targetStart[b + 1];
                    float[] mine = java.util.Arrays.copyOfRange(lp, from, to);
                    double nll = 0;
                    for (float v : mine) {
                        nll -= v;
                    }
                    Map<ImportanceCriterion, float[][]> h = new EnumMap<>(ImportanceCriterion.class);
                    Map<ImportanceCriterion, float[][]> n = new EnumMap<>(ImportanceCriterion.class);
                    final int bb = b;
                    heads.forEach((c, v) -> h.put(c, v[bb]));
                    neurons.forEach((c, v) -> n.put(c, v[bb]));
                    out.add(new ExampleImportance(
                            examples.get(b).id(),
                            batch.lengths[b],
                            nll / mine.length,
                            mine,
                            lastLogits == null ? null : lastLogits[b],
                            h,
                            n,
                            ctx[b],
                            res[b],
                            ctxAtPlan[b],
                            resAtPlan[b],
                            grads == null ? null : grads[b]));
                }
                return out;
            }
        }
    }

    /** Tensors every layer's scores use, made once per pass (never Java numbers as operands, see Tensors). */
    private record PassConstants(NDArray zero, NDArray one, NDArray nwotEps, NDArray tokens, NDArray headValues) {
        PassConstants(TokenBatch batch, NDManager scope, int headDim) {
            this(
                    Tensors.scalar(scope, 0, batch.counts.getDataType()),
                    Tensors.scalar(scope, 1, batch.counts.getDataType()),
                    Tensors.scalar(scope, NWOT_EPS, batch.counts.getDataType()),
                    batch.counts,
                    batch.counts.mul(Tensors.scalar(scope, headDim, batch.counts.getDataType())));
        }
    }

    private void headScores(
            int l,
            ProbeTap tap,
            PassConstants k,
            NDArray valid4,
            Set<ImportanceCriterion> wanted,
            Map<ImportanceCriterion, List<NDArray>> parts,
            NDManager keep) {
        int[] tokenAndDim = {1, 3};
        NDArray a = tap.context[l].mul(valid4);
        NDArray gradient = tap.headProbe[l].getGradient();
        gradient.attach(a.getManager());
        NDArray g = gradient.mul(valid4);
        NDArray ag = a.mul(g);
        put(parts, wanted, keep, L2NORM, () -> a.square().sum(tokenAndDim).sqrt());
        put(parts, wanted, keep, GRADNORM, () -> g.square().sum(tokenAndDim).sqrt());
        put(parts, wanted, keep, PLAINACT, () -> ag.sum(new int[] {3}).abs().sum(new int[] {1}));
        put(parts, wanted, keep, FISHER, () -> ag.square().sum(tokenAndDim).div(k.tokens()));
        put(parts, wanted, keep, SNIP, () -> ag.sum(tokenAndDim).abs());
        put(parts, wanted, keep, NWOT, () -> nwot(tap.context[l], valid4, tokenAndDim, k.headValues(), k));
    }

    private void neuronScores(
            int l,
            ProbeTap tap,
            PassConstants k,
            NDArray valid3,
            Set<ImportanceCriterion> wanted,
            Map<ImportanceCriterion, List<NDArray>> parts,
            NDManager keep) {
        int[] tokenAxis = {1};
        NDArray act = tap.activation[l];
        NDArray a = act.mul(valid3);
        NDArray gradient = tap.neuronProbe[l].getGradient();
        gradient.attach(a.getManager());
        NDArray g = gradient.mul(valid3);
        NDArray ag = a.mul(g);
        put(parts, wanted, keep, L2NORM, () -> a.square().sum(tokenAxis).sqrt());
        put(parts, wanted, keep, FISHER, () -> ag.square().sum(tokenAxis).div(k.tokens()));
        put(parts, wanted, keep, SNIP, () -> ag.sum(tokenAxis).abs());
        put(parts, wanted, keep, NWOT, () -> nwot(act, valid3, tokenAxis, k.tokens(), k));
        if (wanted.contains(GRADNORM) || wanted.contains(PLAINACT)) {
            // ∂L_b/∂W1 = δ_bᵀ x_b per example, δ = ∂L/∂(fc1's output); [B, rows·F, E] per layer is the
            // largest tensor here: free it and its temporaries at once.
            try (NDArray delta = ffnDelta(tap.preActivation[l], act, g, k);
                    NDArray deltaT = delta.transpose(0, 2, 1);
                    NDArray rows = deltaT.matMul(tap.ffnInput[l]);
                    NDArray weightGrad = rows.reshape(rows.getShape().get(0), config.ffnDim(), -1)) {
                put(parts, wanted, keep, GRADNORM, () -> {
                    try (NDArray sq = weightGrad.square()) {
                        return sq.sum(new int[] {2}).sqrt();
                    }
                });
                put(parts, wanted, keep, PLAINACT, () -> {
                    try (NDArray prod = weightGrad.mul(
                                    model.weights().layers().get(l).fc1Weight());
                            NDArray abs = prod.abs()) {
                        return abs.sum(new int[] {2});
                    }
                });
            }
        }
    }

    /**
     * {@code ∂L/∂z} from {@code g = ∂L/∂a}: {@code g·1[a > 0]} for ReLU; for SwiGLU ({@code a = silu(gate)·up},
     * {@code z} gate and up interleaved) {@code g·up·silu'(gate)} and {@code g·silu(gate)}, interleaved alike.
     */
    private NDArray ffnDelta(NDArray z, NDArray act, NDArray g, PassConstants k) {
        if (config.family().ffn() == ModelFamily.Ffn.RELU) {
            try (NDArray fired = act.gt(k.zero()).toType(act.getDataType(), false)) {
                return g.mul(fired);
            }
        }
        NDList gu = DecoderModel.gateAndUp(z);
        NDArray gate = gu.get(0);
        NDArray up = gu.get(1);
        NDArray sig = Activation.sigmoid(gate);
        NDArray one = k.one();
        NDArray dSilu = sig.mul(one.add(gate.mul(one.sub(sig))));
        NDArray dGate = g.mul(up).mul(dSilu);
        NDArray dUp = g.mul(gate.mul(sig));
        return NDArrays.stack(new NDList(dGate, dUp), 3).reshape(z.getShape());
    }

    /** {@code ln(mean over valid values of 1[x ≤ 0] + 1e-12)}. */
    private static NDArray nwot(NDArray x, NDArray valid, int[] axes, NDArray denominator, PassConstants k) {
        return x.lte(k.zero())
                .toType(x.getDataType(), false)
                .mul(valid)
                .sum(axes)
                .div(denominator)
                .add(k.nwotEps())
                .log();
    }

    /** Adds a layer's {@code [B, U]} score, moved to {@code keep} so that it outlives the layer's scope. */
    private static void put(
            Map<ImportanceCriterion, List<NDArray>> parts,
            Set<ImportanceCriterion> wanted,
            NDManager keep,
            ImportanceCriterion c,
            java.util.function.Supplier<NDArray> score) {
        if (wanted.contains(c)) {
            NDArray s = score.get();
            s.attach(keep);
            parts.computeIfAbsent(c, k -> new ArrayList<>()).add(s);
        }
    }

    /** Per-layer {@code [B, U]} arrays to {@code [B][L][U]}, with one copy out of the engine. */
    private static float[][][] perExample(List<NDArray> layers, int batch) {
        NDArray stacked = NDArrays.stack(new NDList(layers), 1).toType(DataType.FLOAT32, false);
        int l = (int) stacked.getShape().get(1);
        int u = (int) stacked.getShape().get(2);
        float[] flat = Tensors.floats(stacked);
        float[][][] out = new float[batch][l][u];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < l; i++) {
                System.arraycopy(flat, (b * l + i) * u, out[b][i], 0, u);
            }
        }
        return out;
    }

    private static Map<ImportanceCriterion, float[][][]> perExample(
            Map<ImportanceCriterion, List<NDArray>> parts, int batch) {
        Map<ImportanceCriterion, float[][][]> out = new EnumMap<>(ImportanceCriterion.class);
        parts.forEach((c, layers) -> out.put(c, perExample(layers, batch)));
        return out;
    }

    private float[][] lastLogits(NDManager scope, NDArray hidden, TokenBatch batch) {
        NDArray logits = model.logits(scope, TokenBatch.rowsAt(hidden, batch.lastPositions))
                .toType(DataType.FLOAT32, false);
        float[] flat = Tensors.floats(logits);
        int v = config.vocabSize();
        float[][] out = new float[batch.batch][];
        for (int b = 0; b < batch.batch; b++) {
            out[b] = java.util.Arrays.copyOfRange(flat, b * v, (b + 1) * v);
        }
        return out;
    }

    /** {@code [B][L][T_b][H][dHead]}: the gradient of each head's context at each real input position. */
    private float[][][][][] headGradients(ProbeTap tap, TokenBatch batch) {
        int layers = config.numLayers();
        int h = config.numHeads();
        int d = config.headDim();
        float[][][][][] out = new float[batch.batch][layers][][][];
        for (int l = 0; l < layers; l++) {
            float[] flat = Tensors.floats(tap.headProbe[l].getGradient());
            for (int b = 0; b < batch.batch; b++) {
                float[][][] perToken = new float[batch.lengths[b]][h][d];
                for (int t = 0; t < batch.lengths[b]; t++) {
                    for (int hh = 0; hh < h; hh++) {
                        System.arraycopy(flat, ((b * batch.tokens + t) * h + hh) * d, perToken[t][hh], 0, d);
                    }
                }
                out[b][l] = perToken;
            }
        }
        return out;
    }
}
