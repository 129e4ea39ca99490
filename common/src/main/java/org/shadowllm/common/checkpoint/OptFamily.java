package org.shadowllm.common.checkpoint;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;

/** The OPT family's own part: its config.json keys and its tensor names ({@code OPTForCausalLM}). */
final class OptFamily implements CheckpointFamily {

    @Override
    public DecoderConfig config(JsonObject c, Path file) {
        String act = ConfigJson.string(c, "activation_function", "relu");
        if (!"relu".equals(act)) {
            throw new IllegalArgumentException("activation_function '" + act + "' is not supported (OPT uses relu)");
        }
        int hidden = ConfigJson.integer(c, "hidden_size", file);
        boolean preLn = ConfigJson.bool(c, "do_layer_norm_before", true);
        return DecoderConfig.builder(ModelFamily.OPT)
                .shape(
                        ConfigJson.integer(c, "vocab_size", file),
                        hidden,
                        ConfigJson.integer(c, "num_hidden_layers", file),
                        ConfigJson.integer(c, "num_attention_heads", file),
                        ConfigJson.integer(c, "ffn_dim", file))
                .maxPositions(ConfigJson.integer(c, "max_position_embeddings", file))
                .wordEmbedProjDim(ConfigJson.integer(c, "word_embed_proj_dim", hidden, file))
                .norms(preLn, preLn && !ConfigJson.bool(c, "_remove_final_layer_norm", false))
                .biases(ConfigJson.bool(c, "enable_bias", true))
                .tieWordEmbeddings(ConfigJson.bool(c, "tie_word_embeddings", true))
                .specialTokens(
                        ConfigJson.integer(c, "bos_token_id", 2, file),
                        ConfigJson.integer(c, "eos_token_id", 2, file),
                        ConfigJson.integer(c, "pad_token_id", 1, file))
                .build();
    }

    /**
     * Tensor names under {@code pre} ({@code model.decoder.}, or {@code decoder.} when saved from the base
     * model); a tied checkpoint's {@code lm_head.weight}, where present, is read as Hugging Face reads it.
     */
    @Override
    public List<String> prefixes() {
        return List.of("model.decoder.", "decoder.");
    }

    @Override
    public TensorLayout layout(DecoderConfig c, String pre, boolean lmHeadPresent) {
        boolean b = c.biases();
        List<TensorLayout.Layer> layers = new java.util.ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String lp = pre + "layers." + l + ".";
            String at = lp + "self_attn.";
            layers.add(new TensorLayout.Layer(
                    lp + "self_attn_layer_norm.weight",
                    lp + "self_attn_layer_norm.bias",
                    List.of(at + "q_proj.weight", at + "k_proj.weight", at + "v_proj.weight"),
                    b ? List.of(at + "q_proj.bias", at + "k_proj.bias", at + "v_proj.bias") : null,
                    at + "out_proj.weight",
                    b ? at + "out_proj.bias" : null,
                    lp + "final_layer_norm.weight",
                    lp + "final_layer_norm.bias",
                    List.of(lp + "fc1.weight"),
                    b ? lp + "fc1.bias" : null,
                    lp + "fc2.weight",
                    b ? lp + "fc2.bias" : null));
        }
        return new TensorLayout(
                pre + "embed_tokens.weight",
                pre + "embed_positions.weight",
                c.hasProjections() ? pre + "project_in.weight" : null,
                c.hasProjections() ? pre + "project_out.weight" : null,
                c.finalNorm() ? pre + "final_layer_norm.weight" : null,
                c.finalNorm() ? pre + "final_layer_norm.bias" : null,
                !c.tieWordEmbeddings() || lmHeadPresent ? "lm_head.weight" : null,
                layers);
    }

    @Override
    public JsonObject configJson(DecoderConfig c) {
        JsonObject j = new JsonObject();
        j.addProperty("model_type", "opt");
        j.addProperty("activation_function", "relu");
        j.addProperty("vocab_size", c.vocabSize());
        j.addProperty("hidden_size", c.hiddenSize());
        j.addProperty("num_hidden_layers", c.numLayers());
        j.addProperty("num_attention_heads", c.numHeads());
        j.addProperty("ffn_dim", c.ffnDim());
        j.addProperty("max_position_embeddings", c.maxPositionEmbeddings());
        j.addProperty("word_embed_proj_dim", c.wordEmbedProjDim());
        j.addProperty("do_layer_norm_before", c.normBefore());
        j.addProperty("_remove_final_layer_norm", c.normBefore() && !c.finalNorm());
        j.addProperty("enable_bias", c.biases());
        j.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        j.addProperty("bos_token_id", c.bosTokenId());
        j.addProperty("eos_token_id", c.eosTokenId());
        j.addProperty("pad_token_id", c.padTokenId());
        return j;
    }
}
