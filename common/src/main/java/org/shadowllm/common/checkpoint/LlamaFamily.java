package org.shadowllm.common.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;

/**
 * The Llama family's own part ({@code LlamaForCausalLM}: Llama-2, TinyLlama, SmolLM, Llama-3 with default
 * rotary embeddings): its config.json keys with CRITERIA.md's defaults, and its tensor names.
 */
final class LlamaFamily implements CheckpointFamily {

    @Override
    public DecoderConfig config(JsonObject c, Path file) {
        String act = ConfigJson.string(c, "hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (Llama uses silu)");
        }
        for (String key : new String[] {"rope_scaling", "rope_parameters"}) {
            requireDefaultRope(c.get(key), key);
        }
        for (String key : new String[] {"attention_bias", "mlp_bias"}) {
            if (ConfigJson.bool(c, key, false)) {
                throw new IllegalArgumentException(key + " is true: Llama models with biases are not supported");
            }
        }
        int hidden = ConfigJson.integer(c, "hidden_size", file);
        int heads = ConfigJson.integer(c, "num_attention_heads", file);
        if (heads == 0 || (!c.has("head_dim") && hidden % heads != 0)) {
            throw new IllegalArgumentException(
                    "hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        int eos = eosTokenId(c, file);
        return DecoderConfig.builder(ModelFamily.LLAMA)
                .shape(
                        ConfigJson.integer(c, "vocab_size", file),
                        hidden,
                        ConfigJson.integer(c, "num_hidden_layers", file),
                        heads,
                        ConfigJson.integer(c, "intermediate_size", file))
                .kvHeads(ConfigJson.integer(c, "num_key_value_heads", heads, file))
                .headDim(ConfigJson.integer(c, "head_dim", hidden / heads, file))
                .maxPositions(ConfigJson.integer(c, "max_position_embeddings", 2048, file))
                .norms(true, true)
                .biases(false)
                .tieWordEmbeddings(ConfigJson.bool(c, "tie_word_embeddings", false))
                .normEps(ConfigJson.number(c, "rms_norm_eps", 1e-6, file))
                .ropeTheta(ropeTheta(c, file))
                .specialTokens(
                        ConfigJson.integer(c, "bos_token_id", 1, file),
                        eos,
                        ConfigJson.integer(c, "pad_token_id", eos, file))
                .build();
    }

    /**
     * The rotary base: transformers 5 writes it inside {@code rope_parameters}, older versions at the top
     * level; either is read, and two that disagree are refused rather than one silently chosen.
     */
    private static double ropeTheta(JsonObject c, Path file) {
        double top = ConfigJson.number(c, "rope_theta", Double.NaN, file);
        JsonElement p = c.get("rope_parameters");
        double nested = p != null && p.isJsonObject()
                ? ConfigJson.number(p.getAsJsonObject(), "rope_theta", Double.NaN, file)
                : Double.NaN;
        if (!Double.isNaN(top) && !Double.isNaN(nested) && top != nested) {
            throw new IllegalArgumentException(
                    "rope_theta " + top + " and rope_parameters.rope_theta " + nested + " disagree");
        }
        return !Double.isNaN(nested) ? nested : !Double.isNaN(top) ? top : 10000;
    }

    /** Llama-3's instruct configs list several end tokens; the first is the one a sequence is written with. */
    private static int eosTokenId(JsonObject c, Path file) {
        JsonElement e = c.get("eos_token_id");
        if (e != null && e.isJsonArray()) {
            if (e.getAsJsonArray().isEmpty()) {
                throw new IllegalArgumentException("'eos_token_id' is an empty list");
            }
            JsonObject first = new JsonObject();
            first.add("eos_token_id", e.getAsJsonArray().get(0));
            return ConfigJson.integer(first, "eos_token_id", file);
        }
        return ConfigJson.integer(c, "eos_token_id", 2, file);
    }

    /** Only the default rotary scheme is defined (CRITERIA.md): any other type is refused by its name. */
    private static void requireDefaultRope(JsonElement e, String key) {
        if (e == null || e.isJsonNull()) {
            return;
        }
        String type = "<unnamed>";
        if (e.isJsonObject()) {
            JsonObject o = e.getAsJsonObject();
            for (String k : new String[] {"rope_type", "type"}) {
                if (o.has(k) && !o.get(k).isJsonNull()) {
                    JsonElement t = o.get(k);
                    type = t.isJsonPrimitive() ? t.getAsString() : t.toString();
                    break;
                }
            }
        }
        if (!"default".equals(type)) {
            throw new IllegalArgumentException(
                    key + " of type '" + type + "' is not supported: only the default rotary embeddings are");
        }
    }

    /** Tensor names under {@code pre} ({@code model.}, or none when saved from the base model); a tied checkpoint's stray {@code lm_head.weight} is ignored. */
    @Override
    public List<String> prefixes() {
        return List.of("model.", "");
    }

    @Override
    public TensorLayout layout(DecoderConfig c, String pre, boolean lmHeadPresent) {
        List<TensorLayout.Layer> layers = new java.util.ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String lp = pre + "layers." + l + ".";
            String at = lp + "self_attn.";
            String mlp = lp + "mlp.";
            layers.add(new TensorLayout.Layer(
                    lp + "input_layernorm.weight",
                    null,
                    List.of(at + "q_proj.weight", at + "k_proj.weight", at + "v_proj.weight"),
                    null,
                    at + "o_proj.weight",
                    null,
                    lp + "post_attention_layernorm.weight",
                    null,
                    List.of(mlp + "gate_proj.weight", mlp + "up_proj.weight"),
                    null,
                    mlp + "down_proj.weight",
                    null));
        }
        return new TensorLayout(
                pre + "embed_tokens.weight",
                null,
                null,
                null,
                pre + "norm.weight",
                null,
                c.tieWordEmbeddings() ? null : "lm_head.weight",
                layers);
    }

    @Override
    public JsonObject configJson(DecoderConfig c) {
        JsonObject j = new JsonObject();
        j.addProperty("model_type", "llama");
        j.addProperty("hidden_act", "silu");
        j.addProperty("vocab_size", c.vocabSize());
        j.addProperty("hidden_size", c.hiddenSize());
        j.addProperty("num_hidden_layers", c.numLayers());
        j.addProperty("num_attention_heads", c.numHeads());
        j.addProperty("num_key_value_heads", c.numKvHeads());
        j.addProperty("head_dim", c.headDim());
        j.addProperty("intermediate_size", c.ffnDim());
        j.addProperty("max_position_embeddings", c.maxPositionEmbeddings());
        j.addProperty("rms_norm_eps", c.normEps());
        j.addProperty("rope_theta", c.ropeTheta());
        j.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        j.addProperty("attention_bias", false);
        j.addProperty("mlp_bias", false);
        j.addProperty("bos_token_id", c.bosTokenId());
        j.addProperty("eos_token_id", c.eosTokenId());
        j.addProperty("pad_token_id", c.padTokenId());
        return j;
    }
}
