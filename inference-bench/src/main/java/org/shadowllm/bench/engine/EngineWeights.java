package org.shadowllm.bench.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.shadowllm.common.checkpoint.Checkpoint;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.TensorLayout;
import org.shadowllm.common.checkpoint.TensorSource;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.safetensors.SafetensorsWriter;

/**
 * An OPT decoder's weights in unit-row layout for the decode engine. Per layer, Q, K and V are one
 * {@code [3E, E]} matrix whose rows {@code h·d .. h·d+d-1} of each third belong to head h; out_proj is
 * stored transposed, so head h's columns are rows {@code h·d ..}; fc1 has one row per neuron and fc2 is
 * stored transposed, one row per neuron. Norms and biases stay fp32; a missing bias is zeros.
 */
public record EngineWeights(
        DecoderConfig config,
        WeightFormat format,
        RowMatrix embed,
        float[] positions,
        RowMatrix projectIn,
        RowMatrix projectOut,
        float[] finalNormWeight,
        float[] finalNormBias,
        RowMatrix lmHead,
        List<Layer> layers) {

    public record Layer(
            float[] attnNormWeight,
            float[] attnNormBias,
            RowMatrix qkv,
            float[] qkvBias,
            RowMatrix outT,
            float[] outBias,
            float[] ffnNormWeight,
            float[] ffnNormBias,
            RowMatrix fc1,
            float[] fc1Bias,
            RowMatrix fc2T,
            float[] fc2Bias) {}

    public EngineWeights {
        layers = List.copyOf(layers);
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
        if (c.family() != org.shadowllm.common.model.ModelFamily.OPT) {
            throw new IllegalArgumentException("the decode engine runs OPT-family models only so far, not "
                    + c.family().modelType());
        }
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        int ffn = c.ffnDim();
        TensorLayout names = TensorLayout.of(c, src);
        RowMatrix embed = RowMatrix.of(src.read(names.embedTokens(), c.vocabSize(), p), c.vocabSize(), p, false, f);
        float[] positions = src.read(names.positions(), c.positionRows(), e);
        RowMatrix projectIn =
                c.hasProjections() ? RowMatrix.of(src.read(names.projectIn(), e, p), e, p, false, f) : null;
        RowMatrix projectOut =
                c.hasProjections() ? RowMatrix.of(src.read(names.projectOut(), p, e), p, e, false, f) : null;
        float[] finalW = c.finalNorm() ? src.read(names.finalNormWeight(), e) : null;
        float[] finalB = c.finalNorm() ? src.read(names.finalNormBias(), e) : null;
        RowMatrix head = names.lmHead() == null
                ? embed
                : RowMatrix.of(src.read(names.lmHead(), c.vocabSize(), p), c.vocabSize(), p, false, f);
        List<Layer> layers = new ArrayList<>();
        for (TensorLayout.Layer n : names.layers()) {
            float[] qkv = new float[3 * e * e];
            float[] qkvBias = new float[3 * e];
            for (int i = 0; i < 3; i++) {
                System.arraycopy(src.read(n.qkv().get(i), e, e), 0, qkv, i * e * e, e * e);
                if (n.qkvBias() != null) {
                    System.arraycopy(src.read(n.qkvBias().get(i), e), 0, qkvBias, i * e, e);
                }
            }
            layers.add(new Layer(
                    src.read(n.attnNormWeight(), e),
                    src.read(n.attnNormBias(), e),
                    RowMatrix.of(qkv, 3 * e, e, false, f),
                    qkvBias,
                    RowMatrix.of(src.read(n.out(), e, e), e, e, true, f),
                    bias(src, n.outBias(), e),
                    src.read(n.ffnNormWeight(), e),
                    src.read(n.ffnNormBias(), e),
                    RowMatrix.of(src.read(n.neuronIn().get(0), ffn, e), ffn, e, false, f),
                    bias(src, n.neuronInBias(), ffn),
                    RowMatrix.of(src.read(n.neuronOut(), e, ffn), ffn, e, true, f),
                    bias(src, n.neuronOutBias(), e)));
        }
        return new EngineWeights(c, f, embed, positions, projectIn, projectOut, finalW, finalB, head, layers);
    }

    /** The bias, or zeros where the layout names none. */
    private static float[] bias(TensorSource src, String name, int size) {
        return name != null ? src.read(name, size) : new float[size];
    }
}
