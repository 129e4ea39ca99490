package org.shadowllm.bench.microbench;

import org.shadowllm.bench.engine.EnginePredictor;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;

/** Bytes one decode step must read: the memory-bandwidth floor's numerator. */
final class DecodeBytes {
    private DecodeBytes() {}

    /**
     * Weight bytes of one step under {@code plans} (null, or a null layer: dense), with weight matrices at
     * {@code valueBytes} per value and norms and biases in fp32: the kept query heads' Q and output-projection
     * rows, the kept neurons' input rows (fc1; gate and up) and output rows (fc2; down), the K and V rows of
     * every K/V head ({@code kvAllHeads}, DJL's policy) or of the K/V heads a kept query head reads (the
     * engine's: a whole pruned group is not computed), the embedding row, the position row where learned,
     * and the LM head.
     */
    static long weights(DecoderConfig c, LayerPlan[] plans, boolean kvAllHeads, int valueBytes) {
        long e = c.hiddenSize();
        long f = c.ffnDim();
        long d = c.headDim();
        long p = c.wordEmbedProjDim();
        long inputRows = c.family().ffn().inputRows();
        // a LayerNorm has a weight and a bias, an RMSNorm a weight
        long norm = c.family().norm() == ModelFamily.Norm.LAYER_NORM ? 2 * e : e;
        long values = p + (long) c.vocabSize() * p + (c.hasProjections() ? 2 * e * p : 0);
        long fp32 = (c.family().positions() == ModelFamily.Positions.LEARNED ? e : 0) + (c.finalNorm() ? norm : 0);
        for (int l = 0; l < c.numLayers(); l++) {
            LayerPlan plan = plans == null ? null : plans[l];
            long heads = plan == null ? c.numHeads() : plan.headCount();
            long neurons = plan == null ? f : plan.neuronCount();
            long groups = plan == null || kvAllHeads ? c.numKvHeads() : keptGroups(c, plan);
            values += heads * d * e * 2 + groups * d * e * 2 + neurons * e * (inputRows + 1);
            fp32 += 2 * norm;
            if (c.biases()) {
                fp32 += heads * d + 2 * groups * d + e + neurons * inputRows + e;
            }
        }
        return values * valueBytes + fp32 * 4;
    }

    /**
     * Bytes of {@code p}'s stored rows a decode token reads under {@code m}: ShadowLLM runs the networks
     * scoring layer 0 (all of them), DejaVu those of layers 1..L-1; amortized over {@code m}'s re-plan interval.
     */
    static long predictor(EnginePredictor p, SparsityMethod m, int layers) {
        boolean shadow = m.method() == Method.SHADOWLLM;
        long bytes = 0;
        for (int l = shadow ? 0 : 1; l < (shadow ? 1 : layers); l++) {
            for (int n : p.networksFor(l)) {
                bytes += p.bytes(n);
            }
        }
        return bytes / m.replanEvery();
    }

    /** K/V heads read by at least one of {@code plan}'s query heads. */
    static int keptGroups(DecoderConfig c, LayerPlan plan) {
        boolean[] kept = new boolean[c.numKvHeads()];
        int n = 0;
        for (int h : plan.heads()) {
            if (!kept[c.kvHeadOf(h)]) {
                kept[c.kvHeadOf(h)] = true;
                n++;
            }
        }
        return n;
    }

    /** fp32 K and V bytes attention reads at position {@code t} for {@code kvHeads} K/V heads per layer. */
    static long cache(DecoderConfig c, int t, int kvHeads) {
        return 2L * c.numLayers() * kvHeads * c.headDim() * (t + 1) * 4;
    }
}
