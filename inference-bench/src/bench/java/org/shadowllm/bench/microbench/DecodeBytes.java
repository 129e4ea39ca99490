package org.shadowllm.bench.microbench;

import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.common.model.DecoderConfig;

/** Bytes one decode step must read: the memory-bandwidth floor's numerator. */
final class DecodeBytes {
    private DecodeBytes() {}

    /**
     * Weight bytes of one step under {@code plans} (null, or a null layer: dense), with weight matrices at
     * {@code valueBytes} per value and norms and biases in fp32: the kept Q, out_proj, fc1 and fc2 rows, K and V
     * rows of every head ({@code kvAllHeads}, DJL's policy) or of kept heads only (the engine's), the
     * embedding row and the LM head.
     */
    static long weights(DecoderConfig c, LayerPlan[] plans, boolean kvAllHeads, int valueBytes) {
        long e = c.hiddenSize();
        long f = c.ffnDim();
        long d = c.headDim();
        long p = c.wordEmbedProjDim();
        long values = p + (long) c.vocabSize() * p + (c.hasProjections() ? 2 * e * p : 0);
        long fp32 = 3 * e;
        for (int l = 0; l < c.numLayers(); l++) {
            LayerPlan plan = plans == null ? null : plans[l];
            long heads = plan == null ? c.numHeads() : plan.headCount();
            long neurons = plan == null ? f : plan.neuronCount();
            long kvHeads = plan == null || kvAllHeads ? c.numHeads() : heads;
            values += heads * d * e * 2 + kvHeads * d * e * 2 + neurons * e * 2;
            fp32 += 4 * e + heads * d + 2 * kvHeads * d + e + neurons + e;
        }
        return values * valueBytes + fp32 * 4;
    }

    /** fp32 K and V bytes attention reads at position {@code t} for {@code heads} heads per layer. */
    static long cache(DecoderConfig c, int t, int heads) {
        return 2L * c.numLayers() * heads * c.headDim() * (t + 1) * 4;
    }
}
