package org.shadowllm.common;

import static org.shadowllm.common.Loops.add;
import static org.shadowllm.common.Loops.copy;
import static org.shadowllm.common.Loops.linear;

import java.util.Map;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * Brute-force float64 Llama ({@code LlamaForCausalLM}) written with plain loops from CRITERIA.md's
 * "Llama-family models" section, independent of DJL and of the project's model code: RMSNorm, rotary
 * embeddings in the {@code rotate_half} layout, grouped-query attention, SwiGLU, tied or untied head.
 * Gradients come only from central finite differences of {@link #loss}, with one value perturbed.
 */
public final class ReferenceLlama {
    public enum Site {
        NONE,
        /** [token][h·d + u] of the input of {@code o_proj}. */
        HEAD_CONTEXT,
        /** [token][k] of the input of {@code down_proj}. */
        NEURON_ACTIVATION,
        /** [k][j] of neuron k's input weights: {@code gate_proj[k, j]} for j &lt; E, else {@code up_proj[k, j − E]}. */
        NEURON_INPUT_WEIGHT
    }

    /** Adds {@code delta} to one value at {@code site} of layer {@code layer}, at [row][col]. */
    public record Perturbation(Site site, int layer, int row, int col, double delta) {
        public static final Perturbation NONE = new Perturbation(Site.NONE, -1, 0, 0, 0);

        public Perturbation negated() {
            return new Perturbation(site, layer, row, col, -delta);
        }
    }

    /**
     * Activations of one run, {@code [layer][token][...]}: head contexts {@code [H·d]}, neuron activations,
     * gate and up projections {@code [F]}, the MLP's normalized input and the residual entering each layer
     * {@code [E]}.
     */
    public record Trace(
            double loss,
            double[] lastLogits,
            double[] targetLogprobs,
            double[][][] context,
            double[][][] activation,
            double[][][] gate,
            double[][][] up,
            double[][][] ffnInput,
            double[][][] residualIn) {}

    private final DecoderConfig c;
    private final Map<String, Tensor> w;

    public ReferenceLlama(DecoderConfig c, Map<String, Tensor> weights) {
        if (c.family() != ModelFamily.LLAMA) {
            throw new IllegalArgumentException("a Llama reference for a " + c.family() + " config");
        }
        this.c = c;
        this.w = weights;
    }

    /** Neuron {@code k}'s input weight {@code j} of layer {@code layer}: gate row then up row (length 2E). */
    public double neuronInputWeight(int layer, int k, int j) {
        int e = c.hiddenSize();
        String mlp = "model.layers." + layer + ".mlp.";
        return j < e ? get(mlp + "gate_proj.weight")[k * e + j] : get(mlp + "up_proj.weight")[k * e + j - e];
    }

    private float[] get(String name) {
        Tensor t = w.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return t.values();
    }

    public double loss(int[] tokens, int continuation, Perturbation p) {
        return run(tokens, continuation, p).loss();
    }

    public Trace run(int[] tokens, int continuation, Perturbation p) {
        int t = tokens.length - 1;
        int e = c.hiddenSize();
        int h = c.numHeads();
        int kv = c.numKvHeads();
        int d = c.headDim();
        int f = c.ffnDim();
        int layers = c.numLayers();
        int group = h / kv;
        float[] emb = get("model.embed_tokens.weight");
        double[][] x = new double[t][e];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < e; j++) {
                x[i][j] = emb[tokens[i] * e + j];
            }
        }
        double[][] cos = new double[t][d / 2];
        double[][] sin = new double[t][d / 2];
        for (int i = 0; i < t; i++) {
            for (int u = 0; u < d / 2; u++) {
                double angle = i / Math.pow(c.ropeTheta(), 2.0 * u / d);
                cos[i][u] = Math.cos(angle);
                sin[i][u] = Math.sin(angle);
            }
        }
        double[][][] ctxAll = new double[layers][][];
        double[][][] actAll = new double[layers][][];
        double[][][] gateAll = new double[layers][][];
        double[][][] upAll = new double[layers][][];
        double[][][] inAll = new double[layers][][];
        double[][][] resAll = new double[layers][][];
        for (int l = 0; l < layers; l++) {
            String lp = "model.layers." + l + ".";
            resAll[l] = copy(x);
            double[][] a = rmsNorm(x, get(lp + "input_layernorm.weight"));
            double[][] q = rotate(linear(a, get(lp + "self_attn.q_proj.weight"), null, h * d, e), h, d, cos, sin);
            double[][] k = rotate(linear(a, get(lp + "self_attn.k_proj.weight"), null, kv * d, e), kv, d, cos, sin);
            double[][] v = linear(a, get(lp + "self_attn.v_proj.weight"), null, kv * d, e);
            double[][] ctx = new double[t][h * d];
            double scale = 1 / Math.sqrt(d);
            for (int hh = 0; hh < h; hh++) {
                int g = hh / group;
                for (int i = 0; i < t; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int u = 0; u < d; u++) {
                            dot += q[i][hh * d + u] * k[j][g * d + u];
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int u = 0; u < d; u++) {
                            ctx[i][hh * d + u] += s[j] / z * v[j][g * d + u];
                        }
                    }
                }
            }
            if (p.site() == Site.HEAD_CONTEXT && p.layer() == l) {
                ctx[p.row()][p.col()] += p.delta();
            }
            ctxAll[l] = copy(ctx);
            add(x, linear(ctx, get(lp + "self_attn.o_proj.weight"), null, e, h * d));
            double[][] fin = rmsNorm(x, get(lp + "post_attention_layernorm.weight"));
            inAll[l] = fin;
            double[][] gate = linear(fin, get(lp + "mlp.gate_proj.weight"), null, f, e);
            double[][] up = linear(fin, get(lp + "mlp.up_proj.weight"), null, f, e);
            // Moving a weight W[k, j] by delta moves that projection's column k by delta · input[:, j], exactly.
            if (p.site() == Site.NEURON_INPUT_WEIGHT && p.layer() == l) {
                double[][] moved = p.col() < e ? gate : up;
                int j = p.col() < e ? p.col() : p.col() - e;
                for (int i = 0; i < t; i++) {
                    moved[i][p.row()] += p.delta() * fin[i][j];
                }
            }
            gateAll[l] = copy(gate);
            upAll[l] = copy(up);
            double[][] act = new double[t][f];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < f; j++) {
                    double z = gate[i][j];
                    act[i][j] = z / (1 + Math.exp(-z)) * up[i][j];
                }
            }
            if (p.site() == Site.NEURON_ACTIVATION && p.layer() == l) {
                act[p.row()][p.col()] += p.delta();
            }
            actAll[l] = copy(act);
            add(x, linear(act, get(lp + "mlp.down_proj.weight"), null, e, f));
        }
        double[][] hN = rmsNorm(x, get("model.norm.weight"));
        float[] head = c.tieWordEmbeddings() ? emb : get("lm_head.weight");
        Loops.Continuation scored = Loops.continuation(hN, head, c.vocabSize(), e, tokens, continuation);
        return new Trace(
                scored.loss(),
                scored.lastLogits(),
                scored.targetLogprobs(),
                ctxAll,
                actAll,
                gateAll,
                upAll,
                inAll,
                resAll);
    }

    /** {@code x / sqrt(mean(x²) + eps) · w}, no mean subtracted, no bias. */
    private double[][] rmsNorm(double[][] x, float[] weight) {
        double[][] out = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (double v : x[i]) {
                ms += v * v;
            }
            double inv = 1 / Math.sqrt(ms / x[i].length + c.normEps());
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = x[i][j] * inv * weight[j];
            }
        }
        return out;
    }

    /**
     * HF's {@code rotate_half} rotation of each of {@code heads} heads at position i: element u &lt; d/2 pairs
     * with u + d/2, turned by {@code i · θ^(−2u/d)}.
     */
    private static double[][] rotate(double[][] x, int heads, int d, double[][] cos, double[][] sin) {
        int half = d / 2;
        double[][] out = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int hh = 0; hh < heads; hh++) {
                int b = hh * d;
                for (int u = 0; u < half; u++) {
                    double first = x[i][b + u];
                    double second = x[i][b + u + half];
                    out[i][b + u] = first * cos[i][u] - second * sin[i][u];
                    out[i][b + u + half] = second * cos[i][u] + first * sin[i][u];
                }
            }
        }
        return out;
    }
}
