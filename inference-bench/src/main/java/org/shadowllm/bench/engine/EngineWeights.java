package org.shadowllm.bench.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.shadowllm.common.checkpoint.Checkpoint;
import org.shadowllm.common.checkpoint.OptCheckpoint;
import org.shadowllm.common.checkpoint.TensorSource;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.safetensors.SafetensorsWriter;

/**
 * An OPT decoder's weights in unit-row layout for the decode engine. Per layer, Q, K and V are one
 * {@code [3E, E]} matrix whose rows {@code h·d .. h·d+d-1} of each third belong to head h; out_proj is
 * stored transposed, so head h's columns are rows {@code h·d ..}; fc1 has one row per neuron and fc2 is
 * stored transposed, one row per neuron. Norms and biases stay fp32; a missing bias is zeros.
 */
public record EngineWeights(
        OptConfig config,
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
        OptConfig config = OptCheckpoint.readConfig(modelDir);
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            return build(config, ckpt, format);
        }
    }

    public static EngineWeights fromStateDict(
            OptConfig config, Map<String, SafetensorsWriter.Tensor> tensors, WeightFormat format) {
        return build(config, TensorSource.of(tensors), format);
    }

    private static EngineWeights build(OptConfig c, TensorSource src, WeightFormat f) {
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        int ffn = c.ffnDim();
        String pre = OptCheckpoint.decoderPrefix(src);
        RowMatrix embed =
                RowMatrix.of(src.read(pre + "embed_tokens.weight", c.vocabSize(), p), c.vocabSize(), p, false, f);
        float[] positions =
                src.read(pre + "embed_positions.weight", c.maxPositionEmbeddings() + OptConfig.POSITION_OFFSET, e);
        RowMatrix projectIn =
                c.hasProjections() ? RowMatrix.of(src.read(pre + "project_in.weight", e, p), e, p, false, f) : null;
        RowMatrix projectOut =
                c.hasProjections() ? RowMatrix.of(src.read(pre + "project_out.weight", p, e), p, e, false, f) : null;
        float[] finalW = c.finalLayerNorm() ? src.read(pre + "final_layer_norm.weight", e) : null;
        float[] finalB = c.finalLayerNorm() ? src.read(pre + "final_layer_norm.bias", e) : null;
        RowMatrix head = embed;
        if (!c.tieWordEmbeddings() || src.contains("lm_head.weight")) {
            head = RowMatrix.of(src.read("lm_head.weight", c.vocabSize(), p), c.vocabSize(), p, false, f);
        }
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String lp = pre + "layers." + l + ".";
            float[] qkv = new float[3 * e * e];
            float[] qkvBias = new float[3 * e];
            String[] parts = {"q_proj", "k_proj", "v_proj"};
            for (int i = 0; i < 3; i++) {
                System.arraycopy(src.read(lp + "self_attn." + parts[i] + ".weight", e, e), 0, qkv, i * e * e, e * e);
                System.arraycopy(bias(src, lp + "self_attn." + parts[i] + ".bias", e, c), 0, qkvBias, i * e, e);
            }
            layers.add(new Layer(
                    src.read(lp + "self_attn_layer_norm.weight", e),
                    src.read(lp + "self_attn_layer_norm.bias", e),
                    RowMatrix.of(qkv, 3 * e, e, false, f),
                    qkvBias,
                    RowMatrix.of(src.read(lp + "self_attn.out_proj.weight", e, e), e, e, true, f),
                    bias(src, lp + "self_attn.out_proj.bias", e, c),
                    src.read(lp + "final_layer_norm.weight", e),
                    src.read(lp + "final_layer_norm.bias", e),
                    RowMatrix.of(src.read(lp + "fc1.weight", ffn, e), ffn, e, false, f),
                    bias(src, lp + "fc1.bias", ffn, c),
                    RowMatrix.of(src.read(lp + "fc2.weight", e, ffn), ffn, e, true, f),
                    bias(src, lp + "fc2.bias", e, c)));
        }
        return new EngineWeights(c, f, embed, positions, projectIn, projectOut, finalW, finalB, head, layers);
    }

    private static float[] bias(TensorSource src, String name, int size, OptConfig c) {
        return c.enableBias() ? src.read(name, size) : new float[size];
    }
}
