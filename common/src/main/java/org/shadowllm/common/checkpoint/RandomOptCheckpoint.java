package org.shadowllm.common.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * A seeded random OPT checkpoint of any shape, in Hugging Face layout, for tests and benchmarks.
 * Weights are N(0, 0.02²) like OPT's init; biases and LayerNorm parameters are perturbed so that no
 * code path can get away with assuming zeros or ones.
 */
public final class RandomOptCheckpoint {
    private RandomOptCheckpoint() {}

    public static Map<String, Tensor> stateDict(OptConfig c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        String pre = "model.decoder.";
        t.put(pre + "embed_tokens.weight", normal(rnd, 0.02, c.vocabSize(), p));
        t.put(
                pre + "embed_positions.weight",
                normal(rnd, 0.02, c.maxPositionEmbeddings() + OptConfig.POSITION_OFFSET, e));
        if (c.hasProjections()) {
            t.put(pre + "project_in.weight", normal(rnd, 0.02, e, p));
            t.put(pre + "project_out.weight", normal(rnd, 0.02, p, e));
        }
        for (int l = 0; l < c.numLayers(); l++) {
            String lp = pre + "layers." + l + ".";
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                t.put(lp + "self_attn." + proj + ".weight", normal(rnd, 0.02, e, e));
                t.put(lp + "self_attn." + proj + ".bias", normal(rnd, 0.02, e));
            }
            norm(t, rnd, lp + "self_attn_layer_norm", e);
            t.put(lp + "fc1.weight", normal(rnd, 0.02, c.ffnDim(), e));
            t.put(lp + "fc1.bias", normal(rnd, 0.02, c.ffnDim()));
            t.put(lp + "fc2.weight", normal(rnd, 0.02, e, c.ffnDim()));
            t.put(lp + "fc2.bias", normal(rnd, 0.02, e));
            norm(t, rnd, lp + "final_layer_norm", e);
        }
        if (c.finalLayerNorm()) {
            norm(t, rnd, pre + "final_layer_norm", e);
        }
        if (!c.tieWordEmbeddings()) {
            t.put("lm_head.weight", normal(rnd, 0.02, c.vocabSize(), p));
        }
        return t;
    }

    /** Writes {@code config.json} and {@code model.safetensors} into {@code dir}. */
    public static void write(Path dir, OptConfig c, long seed) {
        write(dir, c, stateDict(c, seed));
    }

    public static void write(Path dir, OptConfig c, Map<String, Tensor> tensors) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), configJson(c));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + dir, ex);
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    public static String configJson(OptConfig c) {
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
        j.addProperty("do_layer_norm_before", c.doLayerNormBefore());
        j.addProperty("_remove_final_layer_norm", c.doLayerNormBefore() && !c.finalLayerNorm());
        j.addProperty("enable_bias", c.enableBias());
        j.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        j.addProperty("bos_token_id", c.bosTokenId());
        j.addProperty("eos_token_id", c.eosTokenId());
        j.addProperty("pad_token_id", c.padTokenId());
        return new GsonBuilder().setPrettyPrinting().create().toJson(j);
    }

    private static void norm(Map<String, Tensor> t, SplittableRandom rnd, String name, int e) {
        Tensor w = normal(rnd, 0.1, e);
        float[] v = w.values();
        for (int i = 0; i < v.length; i++) {
            v[i] += 1f;
        }
        t.put(name + ".weight", w);
        t.put(name + ".bias", normal(rnd, 0.1, e));
    }

    private static Tensor normal(SplittableRandom rnd, double std, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (std * rnd.nextGaussian());
        }
        return new Tensor(v, shape);
    }
}
