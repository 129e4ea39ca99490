package org.shadowllm.common.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.model.LayerWeights;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.model.OptWeights;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.safetensors.SafetensorsException;
import org.shadowllm.common.safetensors.SafetensorsWriter;

/** Loads a Hugging Face OPT checkpoint directory (config.json + weights in any {@link Checkpoint} layout) into an {@link OptModel}. */
public final class OptCheckpoint {
    private OptCheckpoint() {}

    public static OptConfig readConfig(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isDirectory(modelDir)) {
            throw new IllegalArgumentException("model directory not found: " + modelDir);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    file + ": not found (is " + modelDir + " a Hugging Face model directory?)");
        }
        JsonObject c;
        try {
            c = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": not a JSON object", e);
        }
        String type = c.has("model_type") ? c.get("model_type").getAsString() : "<none>";
        if (!"opt".equals(type)) {
            throw new IllegalArgumentException(file + ": model_type is '" + type + "', not 'opt'");
        }
        String act = str(c, "activation_function", "relu");
        if (!"relu".equals(act)) {
            throw new IllegalArgumentException(
                    file + ": activation_function '" + act + "' is not supported (OPT uses relu)");
        }
        try {
            int hidden = integer(c, "hidden_size", file);
            boolean preLn = bool(c, "do_layer_norm_before", true);
            return new OptConfig(
                    integer(c, "vocab_size", file),
                    hidden,
                    integer(c, "num_hidden_layers", file),
                    integer(c, "num_attention_heads", file),
                    integer(c, "ffn_dim", file),
                    integer(c, "max_position_embeddings", file),
                    ConfigJson.integer(c, "word_embed_proj_dim", hidden, file),
                    preLn,
                    preLn && !bool(c, "_remove_final_layer_norm", false),
                    bool(c, "enable_bias", true),
                    bool(c, "tie_word_embeddings", true),
                    ConfigJson.integer(c, "bos_token_id", 2, file),
                    ConfigJson.integer(c, "eos_token_id", 2, file),
                    ConfigJson.integer(c, "pad_token_id", 1, file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonObject c, String key, Path file) {
        return ConfigJson.integer(c, key, file);
    }

    private static boolean bool(JsonObject c, String key, boolean dflt) {
        return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsBoolean() : dflt;
    }

    private static String str(JsonObject c, String key, String dflt) {
        return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsString() : dflt;
    }

    /** Loads the model in fp32 on {@code device}. */
    public static OptModel load(Path modelDir, NDManager parent, Device device) {
        return load(modelDir, parent, device, DataType.FLOAT32);
    }

    /** Loads the model, converting every floating-point tensor to {@code computeType}. */
    public static OptModel load(Path modelDir, NDManager parent, Device device, DataType computeType) {
        OptConfig config = readConfig(modelDir);
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            return build(config, ckpt, parent, device, computeType);
        }
    }

    /** Builds a model from in-memory tensors in Hugging Face layout (random models for benchmarks). */
    public static OptModel fromStateDict(
            OptConfig config,
            java.util.Map<String, SafetensorsWriter.Tensor> tensors,
            NDManager parent,
            Device device,
            DataType computeType) {
        return build(config, TensorSource.of(tensors), parent, device, computeType);
    }

    private static OptModel build(
            OptConfig config, TensorSource source, NDManager parent, Device device, DataType computeType) {
        NDManager manager = parent.newSubManager(device);
        try {
            Reader r = new Reader(source, manager, computeType, decoderPrefix(source));
            return new OptModel(config, readWeights(config, r, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** {@code model.decoder.} or {@code decoder.}, whichever the checkpoint names its tensors with. */
    public static String decoderPrefix(TensorSource source) {
        for (String p : new String[] {"model.decoder.", "decoder."}) {
            if (source.contains(p + "embed_tokens.weight")) {
                return p;
            }
        }
        throw new SafetensorsException(
                source.where(), "model.decoder.embed_tokens.weight", "missing tensor (not an OPT decoder checkpoint?)");
    }

    private static OptWeights readWeights(OptConfig c, Reader r, NDManager manager) {
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        String pre = r.prefix;
        NDArray tokens = r.tensor(pre + "embed_tokens.weight", c.vocabSize(), p);
        NDArray positions =
                r.tensor(pre + "embed_positions.weight", c.maxPositionEmbeddings() + OptConfig.POSITION_OFFSET, e);
        NDArray projectIn = c.hasProjections() ? r.tensor(pre + "project_in.weight", e, p) : null;
        NDArray projectOut = c.hasProjections() ? r.tensor(pre + "project_out.weight", p, e) : null;
        NDArray finalW = c.finalLayerNorm() ? r.tensor(pre + "final_layer_norm.weight", e) : null;
        NDArray finalB = c.finalLayerNorm() ? r.tensor(pre + "final_layer_norm.bias", e) : null;
        NDArray head = tokens;
        if (!c.tieWordEmbeddings() || r.source.contains("lm_head.weight")) {
            head = r.tensor("lm_head.weight", c.vocabSize(), p);
        }
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String lp = pre + "layers." + l + ".";
            NDArray qkvW = NDArrays.concat(
                    new NDList(
                            r.tensor(lp + "self_attn.q_proj.weight", e, e),
                            r.tensor(lp + "self_attn.k_proj.weight", e, e),
                            r.tensor(lp + "self_attn.v_proj.weight", e, e)),
                    0);
            NDArray qkvB = c.enableBias()
                    ? NDArrays.concat(
                            new NDList(
                                    r.tensor(lp + "self_attn.q_proj.bias", e),
                                    r.tensor(lp + "self_attn.k_proj.bias", e),
                                    r.tensor(lp + "self_attn.v_proj.bias", e)),
                            0)
                    : null;
            layers.add(new LayerWeights(
                    r.tensor(lp + "self_attn_layer_norm.weight", e),
                    r.tensor(lp + "self_attn_layer_norm.bias", e),
                    qkvW,
                    qkvB,
                    r.tensor(lp + "self_attn.out_proj.weight", e, e),
                    r.bias(lp + "self_attn.out_proj.bias", e, c),
                    r.tensor(lp + "final_layer_norm.weight", e),
                    r.tensor(lp + "final_layer_norm.bias", e),
                    r.tensor(lp + "fc1.weight", c.ffnDim(), e),
                    r.bias(lp + "fc1.bias", c.ffnDim(), c),
                    r.tensor(lp + "fc2.weight", e, c.ffnDim()),
                    r.bias(lp + "fc2.bias", e, c)));
        }
        return new OptWeights(manager, tokens, positions, projectIn, projectOut, finalW, finalB, head, layers);
    }

    private static final class Reader {
        final TensorSource source;
        final NDManager manager;
        final DataType type;
        final String prefix;

        Reader(TensorSource source, NDManager manager, DataType type, String prefix) {
            this.source = source;
            this.manager = manager;
            this.type = type;
            this.prefix = prefix;
        }

        NDArray bias(String name, int size, OptConfig c) {
            return c.enableBias() ? tensor(name, size) : null;
        }

        NDArray tensor(String name, long... shape) {
            float[] data = source.read(name, shape);
            NDArray a = Tensors.of(manager, data, new Shape(shape));
            if (type != DataType.FLOAT32) {
                NDArray converted = a.toType(type, false);
                a.close();
                a = converted;
            }
            return a;
        }
    }
}
