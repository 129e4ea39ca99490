package org.shadowllm.common.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * A seeded random OPT checkpoint of any shape, in Hugging Face layout, for tests and benchmarks.
 * Weights are N(0, 0.02²) like OPT's init; biases and LayerNorm parameters are perturbed so that no
 * code path can get away with assuming zeros or ones.
 */
public final class RandomOptCheckpoint {
    private RandomOptCheckpoint() {}

    /** One tensor of the layout: drawn N(0, std²), plus {@code offset} (LayerNorm weights sit around 1). */
    public record Entry(SafetensorsWriter.Spec spec, double std, float offset) {}

    /** The checkpoint's tensors in the order they are drawn from one seeded generator. */
    public static List<Entry> layout(OptConfig c) {
        List<Entry> t = new ArrayList<>();
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        String pre = "model.decoder.";
        add(t, pre + "embed_tokens.weight", 0.02, c.vocabSize(), p);
        add(t, pre + "embed_positions.weight", 0.02, c.maxPositionEmbeddings() + OptConfig.POSITION_OFFSET, e);
        if (c.hasProjections()) {
            add(t, pre + "project_in.weight", 0.02, e, p);
            add(t, pre + "project_out.weight", 0.02, p, e);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            String lp = pre + "layers." + l + ".";
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                add(t, lp + "self_attn." + proj + ".weight", 0.02, e, e);
                add(t, lp + "self_attn." + proj + ".bias", 0.02, e);
            }
            norm(t, lp + "self_attn_layer_norm", e);
            add(t, lp + "fc1.weight", 0.02, c.ffnDim(), e);
            add(t, lp + "fc1.bias", 0.02, c.ffnDim());
            add(t, lp + "fc2.weight", 0.02, e, c.ffnDim());
            add(t, lp + "fc2.bias", 0.02, e);
            norm(t, lp + "final_layer_norm", e);
        }
        if (c.finalLayerNorm()) {
            norm(t, pre + "final_layer_norm", e);
        }
        if (!c.tieWordEmbeddings()) {
            add(t, "lm_head.weight", 0.02, c.vocabSize(), p);
        }
        return t;
    }

    /** Draws the layout's tensors in order from one seeded generator: call {@link #next} once per entry, in order. */
    public static final class Draws {
        private final SplittableRandom rnd;

        public Draws(long seed) {
            rnd = new SplittableRandom(seed);
        }

        public float[] next(Entry entry) {
            float[] v = new float[Math.toIntExact(entry.spec().numel())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (entry.std() * rnd.nextGaussian());
            }
            if (entry.offset() != 0) {
                for (int i = 0; i < v.length; i++) {
                    v[i] += entry.offset();
                }
            }
            return v;
        }
    }

    public static Map<String, Tensor> stateDict(OptConfig c, long seed) {
        Draws draws = new Draws(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Entry entry : layout(c)) {
            t.put(
                    entry.spec().name(),
                    new Tensor(draws.next(entry), entry.spec().shape()));
        }
        return t;
    }

    /** Writes {@code config.json} and {@code model.safetensors} (F32) into {@code dir}. */
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

    /**
     * Writes {@code config.json} and the weights, drawn as {@link #stateDict} draws them and rounded to
     * {@code dtype}, as {@code model.safetensors} or {@code pytorch_model.bin}, one tensor in memory at
     * a time (OPT-1.3B's largest, the embeddings, is 412 MB in fp32).
     */
    public static void write(Path dir, OptConfig c, long seed, SafetensorsDtype dtype, CheckpointFormat format) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), configJson(c));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + dir, ex);
        }
        List<Entry> layout = layout(c);
        Map<String, Entry> byName = new LinkedHashMap<>();
        layout.forEach(e -> byName.put(e.spec().name(), e));
        List<SafetensorsWriter.Spec> specs = layout.stream().map(Entry::spec).toList();
        Draws draws = new Draws(seed);
        java.util.function.Function<SafetensorsWriter.Spec, float[]> values = s -> draws.next(byName.get(s.name()));
        switch (format) {
            case SAFETENSORS -> SafetensorsWriter.write(
                    dir.resolve(format.fileName()), specs, dtype, Map.of("format", "pt"), values);
            case BIN -> org.shadowllm.common.pytorch.TorchBinWriter.write(
                    dir.resolve(format.fileName()), specs, dtype, values);
        }
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

    private static void add(List<Entry> t, String name, double std, long... shape) {
        t.add(new Entry(new SafetensorsWriter.Spec(name, shape), std, 0f));
    }

    private static void norm(List<Entry> t, String name, int e) {
        t.add(new Entry(new SafetensorsWriter.Spec(name + ".weight", new long[] {e}), 0.1, 1f));
        add(t, name + ".bias", 0.1, e);
    }
}
