package org.shadowllm.common;

import static org.shadowllm.common.Loops.add;
import static org.shadowllm.common.Loops.copy;
import static org.shadowllm.common.Loops.linear;

import java.util.Map;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * Brute-force float64 OPT written with plain loops, independent of DJL: pre- or post-LayerNorm,
 * optional project_in/project_out and final LayerNorm, tied or untied head.
 * Gradients come only from central finite differences of {@link #loss}, with one value perturbed.
 */
public final class ReferenceOpt {
    public enum Site {
        NONE,
        HEAD_CONTEXT,
        NEURON_ACTIVATION,
        FC1_WEIGHT
    }

    /** Adds {@code delta} to one value: [token][index] of a head context or activation, or fc1 [row][col]. */
    public record Perturbation(Site site, int layer, int row, int col, double delta) {
        public static final Perturbation NONE = new Perturbation(Site.NONE, -1, 0, 0, 0);
    }

    /** Activations of one run: {@code [layer][token][...]}. */
    public record Trace(
            double loss,
            double[] lastLogits,
            double[] targetLogprobs,
            double[][][] context,
            double[][][] activation,
            double[][][] preActivation,
            double[][][] ffnInput,
            double[][][] residualIn) {}

    private final DecoderConfig c;
    private final Map<String, Tensor> w;

    public ReferenceOpt(DecoderConfig c, Map<String, Tensor> weights) {
        this.c = c;
        this.w = weights;
    }

    public double fc1(int layer, int row, int col) {
        return get("model.decoder.layers." + layer + ".fc1.weight")[row * c.hiddenSize() + col];
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
        int d = c.headDim();
        int f = c.ffnDim();
        int layers = c.numLayers();
        String pre = "model.decoder.";
        float[] emb = get(pre + "embed_tokens.weight");
        float[] pos = get(pre + "embed_positions.weight");
        int proj = c.wordEmbedProjDim();
        double[][] tok = new double[t][proj];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < proj; j++) {
                tok[i][j] = emb[tokens[i] * proj + j];
            }
        }
        double[][] x = c.hasProjections() ? linear(tok, get(pre + "project_in.weight"), new float[e], e, proj) : tok;
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < e; j++) {
                x[i][j] += pos[(i + c.positionOffset()) * e + j];
            }
        }
        double[][][] ctxAll = new double[layers][][];
        double[][][] actAll = new double[layers][][];
        double[][][] preAll = new double[layers][][];
        double[][][] inAll = new double[layers][][];
        double[][][] resAll = new double[layers][][];
        for (int l = 0; l < layers; l++) {
            String lp = pre + "layers." + l + ".";
            resAll[l] = copy(x);
            double[][] a = c.normBefore()
                    ? layerNorm(x, get(lp + "self_attn_layer_norm.weight"), get(lp + "self_attn_layer_norm.bias"))
                    : copy(x);
            double[][] q = linear(a, get(lp + "self_attn.q_proj.weight"), get(lp + "self_attn.q_proj.bias"), e, e);
            double[][] k = linear(a, get(lp + "self_attn.k_proj.weight"), get(lp + "self_attn.k_proj.bias"), e, e);
            double[][] v = linear(a, get(lp + "self_attn.v_proj.weight"), get(lp + "self_attn.v_proj.bias"), e, e);
            double[][] ctx = new double[t][e];
            double scale = 1 / Math.sqrt(d);
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int u = 0; u < d; u++) {
                            dot += q[i][hh * d + u] * scale * k[j][hh * d + u];
                        }
                        s[j] = dot;
                        max = Math.max(max, dot);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int u = 0; u < d; u++) {
                            ctx[i][hh * d + u] += s[j] / z * v[j][hh * d + u];
                        }
                    }
                }
            }
            if (p.site() == Site.HEAD_CONTEXT && p.layer() == l) {
                ctx[p.row()][p.col()] += p.delta();
            }
            ctxAll[l] = copy(ctx);
            double[][] o =
                    linear(ctx, get(lp + "self_attn.out_proj.weight"), get(lp + "self_attn.out_proj.bias"), e, e);
            add(x, o);
            if (!c.normBefore()) {
                x = layerNorm(x, get(lp + "self_attn_layer_norm.weight"), get(lp + "self_attn_layer_norm.bias"));
            }
            double[][] fin = c.normBefore()
                    ? layerNorm(x, get(lp + "final_layer_norm.weight"), get(lp + "final_layer_norm.bias"))
                    : copy(x);
            inAll[l] = fin;
            double[][] z = linear(fin, get(lp + "fc1.weight"), get(lp + "fc1.bias"), f, e);
            // Moving W1[row, col] by delta moves z[:, row] by delta · input[:, col], exactly.
            if (p.site() == Site.FC1_WEIGHT && p.layer() == l) {
                for (int i = 0; i < t; i++) {
                    z[i][p.row()] += p.delta() * fin[i][p.col()];
                }
            }
            preAll[l] = copy(z);
            double[][] act = new double[t][f];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < f; j++) {
                    act[i][j] = Math.max(0, z[i][j]);
                }
            }
            if (p.site() == Site.NEURON_ACTIVATION && p.layer() == l) {
                act[p.row()][p.col()] += p.delta();
            }
            actAll[l] = copy(act);
            add(x, linear(act, get(lp + "fc2.weight"), get(lp + "fc2.bias"), e, f));
            if (!c.normBefore()) {
                x = layerNorm(x, get(lp + "final_layer_norm.weight"), get(lp + "final_layer_norm.bias"));
            }
        }
        double[][] hN = c.finalNorm()
                ? layerNorm(x, get(pre + "final_layer_norm.weight"), get(pre + "final_layer_norm.bias"))
                : x;
        if (c.hasProjections()) {
            hN = linear(hN, get(pre + "project_out.weight"), new float[proj], proj, e);
        }
        float[] head = w.containsKey("lm_head.weight") ? get("lm_head.weight") : emb;
        Loops.Continuation scored = Loops.continuation(hN, head, c.vocabSize(), proj, tokens, continuation);
        return new Trace(
                scored.loss(), scored.lastLogits(), scored.targetLogprobs(), ctxAll, actAll, preAll, inAll, resAll);
    }

    private static double[][] layerNorm(double[][] x, float[] g, float[] b) {
        double[][] out = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (double v : x[i]) {
                mean += v;
            }
            mean /= x[i].length;
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[i].length;
            double inv = 1 / Math.sqrt(var + 1e-5);
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = (x[i][j] - mean) * inv * g[j] + b[j];
            }
        }
        return out;
    }
}
