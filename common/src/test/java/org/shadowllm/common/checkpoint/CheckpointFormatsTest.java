package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsFile;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

class CheckpointFormatsTest {
    @TempDir
    Path dir;

    @Test
    void halfAndBfloat16AreWidenedExactly() throws IOException {
        // f16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), +inf; bf16: 1.0, -3.0, 1/128
        short[] f16 = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x7c00};
        short[] bf16 = {0x3f80, (short) 0xc040, 0x3c00};
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : f16) {
            data.putShort(s);
        }
        for (short s : bf16) {
            data.putShort(s);
        }
        String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[10,16]}}";
        Path file = dir.resolve("x.safetensors");
        BadInputTest.writeRaw(file, header, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY}, f.readFloats("a"));
            assertArrayEquals(new float[] {1f, -3f, 1f / 128}, f.readFloats("b"));
        }
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws IOException {
        DecoderConfig c = DecoderConfig.builder(ModelFamily.OPT)
                .shape(29, 16, 2, 2, 32)
                .maxPositions(12)
                .wordEmbedProjDim(16)
                .norms(true, true)
                .biases(true)
                .tieWordEmbeddings(false)
                .specialTokens(0, 0, 0)
                .build();
        Map<String, Tensor> all = RandomCheckpoint.stateDict(c, 5L);
        Path single = dir.resolve("single");
        RandomCheckpoint.write(single, c, all);
        Path sharded = dir.resolve("sharded");
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        JsonObject weightMap = new JsonObject();
        int i = 0;
        for (Map.Entry<String, Tensor> e : all.entrySet()) {
            boolean one = i++ % 2 == 0;
            (one ? first : second).put(e.getKey(), e.getValue());
            weightMap.addProperty(
                    e.getKey(), one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        Files.createDirectories(sharded);
        Files.writeString(sharded.resolve("config.json"), RandomCheckpoint.configJson(c));
        SafetensorsWriter.write(sharded.resolve("model-00001-of-00002.safetensors"), first, Map.of());
        SafetensorsWriter.write(sharded.resolve("model-00002-of-00002.safetensors"), second, Map.of());
        JsonObject index = new JsonObject();
        index.add("weight_map", weightMap);
        Files.writeString(sharded.resolve("model.safetensors.index.json"), index.toString());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] a = logits(ModelCheckpoint.load(single, m, Device.cpu()), m);
            float[] b = logits(ModelCheckpoint.load(sharded, m, Device.cpu()), m);
            assertArrayEquals(a, b);
        }
    }

    @Test
    void untiedHeadIsReadFromLmHead() {
        DecoderConfig c = DecoderConfig.builder(ModelFamily.OPT)
                .shape(29, 16, 1, 2, 32)
                .maxPositions(12)
                .wordEmbedProjDim(16)
                .norms(true, true)
                .biases(true)
                .tieWordEmbeddings(false)
                .specialTokens(0, 0, 0)
                .build();
        Map<String, Tensor> t = RandomCheckpoint.stateDict(c, 8L);
        RandomCheckpoint.write(dir, c, t);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(dir, m, Device.cpu())) {
            assertArrayEquals(
                    t.get("lm_head.weight").values(), model.weights().lmHead().toFloatArray());
            assertNotSame(model.weights().lmHead(), model.weights().tokenEmbedding());
        }
    }

    private static float[] logits(DecoderModel model, NDManager m) {
        try (model;
                NDManager scope = m.newSubManager()) {
            NDArray ids = scope.create(new long[] {0, 4, 9, 17, 28}, new Shape(1, 5));
            return model.logits(scope, model.forward(scope, ids, LayerTap.NONE, null))
                    .toFloatArray();
        }
    }
}
