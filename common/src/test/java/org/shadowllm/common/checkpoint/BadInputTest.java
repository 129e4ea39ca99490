package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.safetensors.SafetensorsException;
import org.shadowllm.common.safetensors.SafetensorsFile;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** Bad input gets an error that names the file and the tensor, never a crash in native code. */
class BadInputTest {
    static final DecoderConfig CONFIG = DecoderConfig.of(31, 24, 2, 3, 48, 16);
    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static void assertMessage(Throwable t, String... parts) {
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), "message '" + t.getMessage() + "' lacks '" + p + "'");
        }
    }

    private DecoderModel load() {
        return ModelCheckpoint.load(dir, manager, Device.cpu());
    }

    @Test
    void truncatedSafetensorsNamesFileAndTensor() throws IOException {
        RandomCheckpoint.write(dir, CONFIG, 1L);
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        SafetensorsException e = assertThrows(SafetensorsException.class, this::load);
        assertMessage(e, "model.safetensors", "truncated", "model.decoder.");
    }

    @Test
    void fileCutInsideTheHeaderIsReportedAsTruncated() throws IOException {
        RandomCheckpoint.write(dir, CONFIG, 1L);
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(40);
        }
        assertMessage(assertThrows(SafetensorsException.class, this::load), "model.safetensors", "truncated");
    }

    @Test
    void missingTensorIsNamed() {
        Map<String, Tensor> t = new LinkedHashMap<>(RandomCheckpoint.stateDict(CONFIG, 1L));
        t.remove("model.decoder.layers.1.fc2.weight");
        RandomCheckpoint.write(dir, CONFIG, t);
        assertMessage(
                assertThrows(SafetensorsException.class, this::load),
                "model.safetensors",
                "model.decoder.layers.1.fc2.weight",
                "missing tensor");
    }

    @Test
    void tensorOfWrongShapeIsNamedWithBothShapes() {
        Map<String, Tensor> t = new LinkedHashMap<>(RandomCheckpoint.stateDict(CONFIG, 1L));
        t.put("model.decoder.layers.0.fc1.weight", new Tensor(new float[47 * 24], new long[] {47, 24}));
        RandomCheckpoint.write(dir, CONFIG, t);
        assertMessage(
                assertThrows(SafetensorsException.class, this::load),
                "model.decoder.layers.0.fc1.weight",
                "[47, 24]",
                "[48, 24]");
    }

    @Test
    void unknownDtypeIsNamed() throws IOException {
        String header =
                "{\"model.decoder.embed_tokens.weight\":{\"dtype\":\"X9\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        writeRaw(dir.resolve("model.safetensors"), header, new byte[4]);
        Files.writeString(dir.resolve("config.json"), RandomCheckpoint.configJson(CONFIG));
        assertMessage(
                assertThrows(SafetensorsException.class, this::load),
                "model.safetensors",
                "model.decoder.embed_tokens.weight",
                "unknown dtype 'X9'");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "overlapping tensors|{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}|overlaps a [0, 8)",
                "a hole between tensors|{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}|leaving a hole after a",
                "sizes that overflow|{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                        + "\"data_offsets\":[0,8]}}|tensor 'a': malformed header entry",
                "a negative dimension|{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}|negative dimension",
                "metadata that is not an object|{\"__metadata__\":[1,2],"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}|__metadata__ is not a JSON object",
                "a metadata value that is not a string|{\"__metadata__\":{\"k\":{\"x\":1}},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}|value of 'k' is not a string"
            })
    void malformedHeadersAreRefusedNamingTheFile(String what, String header, String problem) throws IOException {
        Path file = dir.resolve("bad.safetensors");
        writeRaw(file, header, new byte[16]);
        assertMessage(
                assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), "bad.safetensors", problem);
    }

    @Test
    void anIndexShardOutsideTheModelFolderIsRefused() throws IOException {
        Files.writeString(dir.resolve("config.json"), RandomCheckpoint.configJson(CONFIG));
        Files.writeString(
                dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.decoder.embed_tokens.weight\": \"../elsewhere.safetensors\"}}");
        assertMessage(
                assertThrows(SafetensorsException.class, this::load),
                "model.safetensors.index.json",
                "'../elsewhere.safetensors' is not a file name inside");
    }

    @Test
    void configOfAnotherModelTypeIsRefused() throws IOException {
        RandomCheckpoint.write(dir, CONFIG, 1L);
        Files.writeString(
                dir.resolve("config.json"), RandomCheckpoint.configJson(CONFIG).replace("\"opt\"", "\"gpt2\""));
        assertMessage(
                assertThrows(IllegalArgumentException.class, this::load),
                "config.json",
                "'gpt2'",
                "supported: opt, llama");
    }

    @Test
    void missingModelDirectoryIsNamed() {
        Path nowhere = dir.resolve("no-such-model");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class, () -> ModelCheckpoint.load(nowhere, manager, Device.cpu())),
                "no-such-model",
                "not found");
    }

    @Test
    void emptyContinuationIsRefused() {
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class, () -> ScoredExample.of("ex", new int[] {0, 3, 4}, new int[0])),
                "'ex'",
                "continuation is empty");
    }

    @Test
    void promptLongerThanMaxPositionsIsRefusedBeforeTheModelRuns() {
        RandomCheckpoint.write(dir, CONFIG, 1L);
        try (DecoderModel model = load()) {
            int[] tokens = new int[CONFIG.maxPositionEmbeddings() + 2];
            ScoredExample ex = new ScoredExample("too-long", tokens, 1);
            assertMessage(
                    assertThrows(IllegalArgumentException.class, () -> new CriteriaCalculator(model)
                            .compute(List.of(ex), CriteriaOptions.singlePass())),
                    "'too-long'",
                    "exceed max_position_embeddings " + CONFIG.maxPositionEmbeddings());
        }
    }

    @Test
    void tokenOutsideVocabularyIsRefused() {
        RandomCheckpoint.write(dir, CONFIG, 1L);
        try (DecoderModel model = load()) {
            ScoredExample ex = new ScoredExample("oov", new int[] {0, 3, 999, 4}, 1);
            assertMessage(
                    assertThrows(IllegalArgumentException.class, () -> new CriteriaCalculator(model)
                            .compute(List.of(ex), CriteriaOptions.singlePass())),
                    "'oov'",
                    "999",
                    "outside the vocabulary");
        }
    }

    static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b =
                java.nio.ByteBuffer.allocate(8 + h.length + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
    }
}
