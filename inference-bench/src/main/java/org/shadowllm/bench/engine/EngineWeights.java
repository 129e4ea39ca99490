package org.shadowllm.bench.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.shadowllm.common.checkpoint.Checkpoint;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.TensorLayout;
import org.shadowllm.common.checkpoint.TensorSource;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsWriter;

/**
 * A decoder's weights in unit-row layout for the decode engine, for any {@link ModelFamily}, read by the
 * names of {@link TensorLayout}. Per layer, Q, K and V are one {@code [H·d + 2·KV·d, E]} matrix: query head
 * h owns rows {@code h·d ..} of the Q block, K/V head g rows {@code g·d ..} of the K and of the V block. The
 * output projection is stored transposed, so query head h's columns are rows {@code h·d ..}. The
 * neuron-input matrix has {@code r} rows per neuron ({@code r = ffn().inputRows()}: fc1's row; or the gate
 * row, then the up row), neuron k's at {@code k·r ..}; the neuron-output matrix is stored transposed, one row
 * per neuron. Norms and biases stay fp32; a null bias is none.
 *
 * @param positions the learned position table {@code [positionRows, E]}, null for rotary models
 * @param lmHead    the embedding itself where the head is tied
 */
public record EngineWeights(
        DecoderConfig config,
        WeightFormat format,
        RowMatrix embed,
        float[] positions,
        RowMatrix projectIn,
        RowMatrix projectOut,
        Norm finalNorm,
        RowMatrix lmHead,
        List<Layer> layers) {

    /** A norm's scale, and its shift (null for RMSNorm). */
    public record Norm(float[] weight, float[] bias) {
        public Norm {
            Objects.requireNonNull(weight, "weight");
            if (bias != null && bias.length != weight.length) {
                throw new IllegalArgumentException(
                        "norm bias of " + bias.length + " values for a weight of " + weight.length);
            }
        }
    }

    /** A projection's unit rows, and its bias over the rows (null: none). */
    public record Linear(RowMatrix rows, float[] bias) {
        public Linear {
            Objects.requireNonNull(rows, "rows");
            if (bias != null && bias.length != rows.rows()) {
                throw new IllegalArgumentException("bias of " + bias.length + " values for " + rows.rows() + " rows");
            }
        }
    }

    /**
     * One layer. {@code out} and {@code neuronOut} are transposed: their bias is over the output ({@code E}
     * values), not over their rows.
     */
    public record Layer(
            Norm attnNorm,
            Linear qkv,
            RowMatrix outT,
            float[] outBias,
            Norm ffnNorm,
            Linear neuronIn,
            RowMatrix neuronOutT,
            float[] neuronOutBias) {
        public Layer {
            Objects.requireNonNull(attnNorm, "attnNorm");
            Objects.requireNonNull(qkv, "qkv");
            Objects.requireNonNull(outT, "outT");
            Objects.requireNonNull(ffnNorm, "ffnNorm");
            Objects.requireNonNull(neuronIn, "neuronIn");
            Objects.requireNonNull(neuronOutT, "neuronOutT");
        }
    }

    public EngineWeights {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(format, "format");
        layers = List.copyOf(layers);
        int e = config.hiddenSize();
        requireShape(embed, config.vocabSize(), config.wordEmbedProjDim(), "embedding");
        requireShape(lmHead, config.vocabSize(), config.wordEmbedProjDim(), "LM head");
        if ((positions == null) != (config.family().positions() != ModelFamily.Positions.LEARNED)) {
            throw new IllegalArgumentException("learned positions are required exactly for learned-position models");
        }
        if (layers.size() != config.numLayers()) {
            throw new IllegalArgumentException(layers.size() + " layers for a config of " + config.numLayers());
        }
        for (Layer l : layers) {
            requireShape(l.qkv().rows(), config.qkvRows(), e, "Q, K and V");
            requireShape(l.outT(), config.attentionWidth(), e, "output projection (transposed)");
            requireShape(l.neuronIn().rows(), config.family().ffn().inputRows() * config.ffnDim(), e, "neuron inputs");
            requireShape(l.neuronOutT(), config.ffnDim(), e, "neuron outputs (transposed)");
        }
    }

    private static void requireShape(RowMatrix m, int rows, int cols, String what) {
        Objects.requireNonNull(m, what);
        if (m.rows() != rows || m.cols() != cols) {
            throw new IllegalArgumentException(
                    what + " is " + m.rows() + " × " + m.cols() + ", expected " + rows + " × " + cols);
        }
    }

    public static EngineWeights load(Path modelDir, WeightFormat format) {
        DecoderConfig config = ModelCheckpoint.readConfig(modelDir);
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            return build(config, ckpt, format);
        }
    }

    public static EngineWeights fromStateDict(
            DecoderConfig config, Map<String, SafetensorsWriter.Tensor> tensors, WeightFormat format) {
        return build(config, TensorSource.of(tensors), format);
    }

    private static EngineWeights build(DecoderConfig c, TensorSource src, WeightFormat f) {
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        TensorLayout names = TensorLayout.of(c, src);
        RowMatrix embed = RowMatrix.of(src.read(names.embedTokens(), c.vocabSize(), p), c.vocabSize(), p, false, f);
        float[] positions = names.positions() == null ? null : src.read(names.positions(), c.positionRows(), e);
        RowMatrix projectIn =
                c.hasProjections() ? RowMatrix.of(src.read(names.projectIn(), e, p), e, p, false, f) : null;
        RowMatrix projectOut =
                c.hasProjections() ? RowMatrix.of(src.read(names.projectOut(), p, e), p, e, false, f) : null;
        Norm finalNorm = c.finalNorm() ? norm(src, names.finalNormWeight(), names.finalNormBias(), e) : null;
        RowMatrix head = names.lmHead() == null
                ? embed
                : RowMatrix.of(src.read(names.lmHead(), c.vocabSize(), p), c.vocabSize(), p, false, f);
        List<Layer> layers = new ArrayList<>();
        for (TensorLayout.Layer n : names.layers()) {
            layers.add(new Layer(
                    norm(src, n.attnNormWeight(), n.attnNormBias(), e),
                    qkv(c, src, n, f),
                    RowMatrix.of(src.read(n.out(), e, c.attentionWidth()), c.attentionWidth(), e, true, f),
                    n.outBias() == null ? null : src.read(n.outBias(), e),
                    norm(src, n.ffnNormWeight(), n.ffnNormBias(), e),
                    neuronIn(c, src, n, f),
                    RowMatrix.of(src.read(n.neuronOut(), e, c.ffnDim()), c.ffnDim(), e, true, f),
                    n.neuronOutBias() == null ? null : src.read(n.neuronOutBias(), e)));
        }
        return new EngineWeights(c, f, embed, positions, projectIn, projectOut, finalNorm, head, layers);
    }

    private static Norm norm(TensorSource src, String weight, String bias, int e) {
        return new Norm(src.read(weight, e), bias == null ? null : src.read(bias, e));
    }

    /** Q ({@code H·d} rows), then K and V ({@code KV·d} rows each), each of width E. */
    private static Linear qkv(DecoderConfig c, TensorSource src, TensorLayout.Layer n, WeightFormat f) {
        int e = c.hiddenSize();
        int[] rows = {c.attentionWidth(), c.kvWidth(), c.kvWidth()};
        float[] all = new float[Math.multiplyExact(c.qkvRows(), e)];
        float[] bias = n.qkvBias() == null ? null : new float[c.qkvRows()];
        int at = 0;
        for (int i = 0; i < 3; i++) {
            System.arraycopy(src.read(n.qkv().get(i), rows[i], e), 0, all, at * e, rows[i] * e);
            if (bias != null) {
                System.arraycopy(src.read(n.qkvBias().get(i), rows[i]), 0, bias, at, rows[i]);
            }
            at += rows[i];
        }
        return new Linear(RowMatrix.of(all, c.qkvRows(), e, false, f), bias);
    }

    /** The {@code r} input matrices ({@code [F, E]} each) interleaved: row {@code k·r + j} is matrix j's row k. */
    private static Linear neuronIn(DecoderConfig c, TensorSource src, TensorLayout.Layer n, WeightFormat f) {
        int e = c.hiddenSize();
        int ffn = c.ffnDim();
        int r = n.neuronIn().size();
        if (r != c.family().ffn().inputRows()) {
            throw new IllegalArgumentException(
                    r + " neuron-input matrices for a " + c.family().ffn() + " FFN");
        }
        if (n.neuronInBias() != null && r != 1) {
            throw new IllegalArgumentException("a neuron-input bias is supported with one input matrix only");
        }
        float[] all = new float[Math.multiplyExact(r * ffn, e)];
        for (int j = 0; j < r; j++) {
            float[] m = src.read(n.neuronIn().get(j), ffn, e);
            for (int k = 0; k < ffn; k++) {
                System.arraycopy(m, k * e, all, (k * r + j) * e, e);
            }
        }
        float[] bias = n.neuronInBias() == null ? null : src.read(n.neuronInBias(), ffn);
        return new Linear(RowMatrix.of(all, r * ffn, e, false, f), bias);
    }
}
