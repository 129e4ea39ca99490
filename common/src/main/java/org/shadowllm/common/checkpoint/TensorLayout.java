package org.shadowllm.common.checkpoint;

import java.util.List;
import org.shadowllm.common.model.DecoderConfig;

/**
 * Where a checkpoint keeps each tensor, by meaning: the one map from a family's tensor names that both the
 * DJL loader and the decode engine's loader read. A name is null where the model has no such tensor
 * (learned positions for a rotary model, biases for a bias-free one, an LM head that is the embedding).
 *
 * @param lmHead null: the head is the token embedding (tied)
 */
public record TensorLayout(
        String embedTokens,
        String positions,
        String projectIn,
        String projectOut,
        String finalNormWeight,
        String finalNormBias,
        String lmHead,
        List<Layer> layers) {

    public TensorLayout {
        java.util.Objects.requireNonNull(embedTokens, "embedTokens");
        layers = List.copyOf(layers);
    }

    /**
     * One layer's tensor names.
     *
     * @param neuronIn the matrices whose rows, side by side, are a neuron's input weights (fc1; or gate, up)
     */
    public record Layer(
            String attnNormWeight,
            String attnNormBias,
            List<String> qkv,
            List<String> qkvBias,
            String out,
            String outBias,
            String ffnNormWeight,
            String ffnNormBias,
            List<String> neuronIn,
            String neuronInBias,
            String neuronOut,
            String neuronOutBias) {
        public Layer {
            qkv = List.copyOf(qkv);
            qkvBias = qkvBias == null ? null : List.copyOf(qkvBias);
            neuronIn = List.copyOf(neuronIn);
            if (qkv.size() != 3) {
                throw new IllegalArgumentException("Q, K and V: three names, got " + qkv);
            }
        }
    }

    /** The layout of {@code config}'s family, with whichever prefix {@code source} names its tensors. */
    public static TensorLayout of(DecoderConfig config, TensorSource source) {
        CheckpointFamily family = CheckpointFamily.of(config.family());
        String prefix = prefix(source, "embed_tokens.weight", config.family().modelType(), family.prefixes());
        return family.layout(config, prefix, source.contains("lm_head.weight"));
    }

    /** The layout as Hugging Face's writers name it today (what the random checkpoints write). */
    public static TensorLayout canonical(DecoderConfig config) {
        CheckpointFamily family = CheckpointFamily.of(config.family());
        return family.layout(config, family.prefixes().get(0), false);
    }

    /** The first of {@code prefixes} under which {@code source} holds {@code probe}, refusing a source with none. */
    private static String prefix(TensorSource source, String probe, String family, List<String> prefixes) {
        for (String p : prefixes) {
            if (source.contains(p + probe)) {
                return p;
            }
        }
        throw new org.shadowllm.common.safetensors.SafetensorsException(
                source.where(), prefixes.get(0) + probe, "missing tensor (not a " + family + " checkpoint?)");
    }
}
