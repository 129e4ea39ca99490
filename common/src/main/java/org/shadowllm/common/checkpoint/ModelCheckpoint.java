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
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.DecoderWeights;
import org.shadowllm.common.model.LayerWeights;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.safetensors.SafetensorsWriter;

/**
 * Loads a Hugging Face decoder checkpoint directory (config.json + weights in any {@link Checkpoint} layout)
 * into a {@link DecoderModel}, for every family: the family's own files say which config keys and tensor
 * names it has ({@link TensorLayout}); this class reads them the same way for all.
 */
public final class ModelCheckpoint {
    private ModelCheckpoint() {}

    public static DecoderConfig readConfig(Path modelDir) {
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
        try {
            ModelFamily family = ModelFamily.ofModelType(ConfigJson.string(c, "model_type", "<none>"));
            return CheckpointFamily.of(family).config(c, file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage(), e);
        }
    }

    /** The Hugging Face {@code config.json} text that reads back as {@code c}. */
    public static String configJson(DecoderConfig c) {
        JsonObject j = CheckpointFamily.of(c.family()).configJson(c);
        return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(j);
    }

    /** Loads the model in fp32 on {@code device}. */
    public static DecoderModel load(Path modelDir, NDManager parent, Device device) {
        return load(modelDir, parent, device, DataType.FLOAT32);
    }

    /** Loads the model, converting every floating-point tensor to {@code computeType}. */
    public static DecoderModel load(Path modelDir, NDManager parent, Device device, DataType computeType) {
        DecoderConfig config = readConfig(modelDir);
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            return build(config, ckpt, parent, device, computeType);
        }
    }

    /** Builds a model from in-memory tensors in Hugging Face layout (random models for benchmarks). */
    public static DecoderModel fromStateDict(
            DecoderConfig config,
            java.util.Map<String, SafetensorsWriter.Tensor> tensors,
            NDManager parent,
            Device device,
            DataType computeType) {
        return build(config, TensorSource.of(tensors), parent, device, computeType);
    }

    private static DecoderModel build(
            DecoderConfig config, TensorSource source, NDManager parent, Device device, DataType computeType) {
        NDManager manager = parent.newSubManager(device);
        try {
            Reader r = new Reader(source, manager, computeType);
            return new DecoderModel(config, readWeights(config, TensorLayout.of(config, source), r, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static DecoderWeights readWeights(DecoderConfig c, TensorLayout names, Reader r, NDManager manager) {
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        NDArray tokens = r.tensor(names.embedTokens(), c.vocabSize(), p);
        NDArray positions = r.optional(names.positions(), c.positionRows(), e);
        NDArray projectIn = r.optional(names.projectIn(), e, p);
        NDArray projectOut = r.optional(names.projectOut(), p, e);
        NDArray finalW = r.optional(names.finalNormWeight(), e);
        NDArray finalB = r.optional(names.finalNormBias(), e);
        NDArray head = names.lmHead() == null ? tokens : r.tensor(names.lmHead(), c.vocabSize(), p);
        int[] qkvRows = {c.attentionWidth(), c.kvWidth(), c.kvWidth()};
        List<LayerWeights> layers = new ArrayList<>();
        for (TensorLayout.Layer n : names.layers()) {
            NDList qkv = new NDList();
            NDList qkvBias = new NDList();
            for (int i = 0; i < 3; i++) {
                qkv.add(r.tensor(n.qkv().get(i), qkvRows[i], e));
                if (n.qkvBias() != null) {
                    qkvBias.add(r.tensor(n.qkvBias().get(i), qkvRows[i]));
                }
            }
            // a neuron's input weights side by side: [F, E] for fc1, [F, 2E] (gate row, then up row) for SwiGLU
            NDList in = new NDList();
            for (String name : n.neuronIn()) {
                in.add(r.tensor(name, c.ffnDim(), e));
            }
            layers.add(new LayerWeights(
                    r.tensor(n.attnNormWeight(), e),
                    r.optional(n.attnNormBias(), e),
                    NDArrays.concat(qkv, 0),
                    qkvBias.isEmpty() ? null : NDArrays.concat(qkvBias, 0),
                    r.tensor(n.out(), e, c.attentionWidth()),
                    r.optional(n.outBias(), e),
                    r.tensor(n.ffnNormWeight(), e),
                    r.optional(n.ffnNormBias(), e),
                    in.size() == 1 ? in.get(0) : NDArrays.concat(in, 1),
                    r.optional(n.neuronInBias(), c.ffnDim()),
                    r.tensor(n.neuronOut(), e, c.ffnDim()),
                    r.optional(n.neuronOutBias(), e)));
            qkv.close();
            qkvBias.close();
            if (in.size() > 1) {
                in.close();
            }
        }
        return new DecoderWeights(manager, tokens, positions, projectIn, projectOut, finalW, finalB, head, layers);
    }

    private static final class Reader {
        final TensorSource source;
        final NDManager manager;
        final DataType type;

        Reader(TensorSource source, NDManager manager, DataType type) {
            this.source = source;
            this.manager = manager;
            this.type = type;
        }

        /** The tensor, or null where the layout names none. */
        NDArray optional(String name, long... shape) {
            return name == null ? null : tensor(name, shape);
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
