package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.pytorch.TorchBinException;
import org.shadowllm.common.pytorch.UnsafePickleException;
import org.shadowllm.common.safetensors.SafetensorsCheckpoint;
import org.shadowllm.common.safetensors.SafetensorsFile;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** PyTorch .bin checkpoints (single and sharded) load like their safetensors twins; bad or unsafe ones are refused. */
class TorchBinCheckpointTest {
    static final DecoderConfig CONFIG = DecoderConfig.of(31, 24, 2, 3, 48, 16);

    @TempDir
    Path dir;

    private static Path shared(String first, String... more) {
        return SharedPaths.require(
                SharedPaths.root().resolve(Path.of(first, more)), first + "/" + String.join("/", more));
    }

    private static void assertMessage(Throwable t, String... parts) {
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), "message '" + t.getMessage() + "' lacks '" + p + "'");
        }
    }

    /** Same names, shapes, dtypes and values bit for bit (widening fp16/bf16 to float is exact and one-to-one). */
    private static void assertSameTensors(TensorLister expected, Checkpoint actual) {
        assertEquals(expected.names(), actual.names(), "tensor names");
        for (String name : expected.names()) {
            assertArrayEquals(expected.shape(name), actual.shape(name), name + " shape");
            assertEquals(expected.dtype(name), actual.dtype(name), name + " dtype");
            float[] e = expected.read(name);
            float[] a = actual.read(name);
            assertEquals(e.length, a.length, name);
            for (int i = 0; i < e.length; i++) {
                if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                    throw new AssertionError(name + "[" + i + "]: " + a[i] + ", expected " + e[i]);
                }
            }
        }
    }

    private interface TensorLister {
        java.util.Set<String> names();

        long[] shape(String name);

        org.shadowllm.common.safetensors.SafetensorsDtype dtype(String name);

        float[] read(String name);

        static TensorLister of(Checkpoint c) {
            return new TensorLister() {
                public java.util.Set<String> names() {
                    return c.names();
                }

                public long[] shape(String name) {
                    return c.shape(name);
                }

                public org.shadowllm.common.safetensors.SafetensorsDtype dtype(String name) {
                    return c.dtype(name);
                }

                public float[] read(String name) {
                    return c.read(name);
                }
            };
        }

        static TensorLister of(SafetensorsFile f) {
            return new TensorLister() {
                public java.util.Set<String> names() {
                    return f.tensors().keySet();
                }

                public long[] shape(String name) {
                    return f.info(name).shape();
                }

                public org.shadowllm.common.safetensors.SafetensorsDtype dtype(String name) {
                    return f.info(name).dtype();
                }

                public float[] read(String name) {
                    return f.readFloats(name);
                }
            };
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-random-opt-bin", "tiny-random-opt-sharded-bin"})
    void binCheckpointLoadsBitIdenticalToItsSafetensorsTwin(String model) {
        try (Checkpoint twin = Checkpoint.open(SharedPaths.model("tiny-random-opt"));
                Checkpoint bin = Checkpoint.open(shared("models", model))) {
            assertTrue(
                    bin.names().contains("model.decoder.layers.3.fc2.weight"),
                    "the .bin lists the decoder tensors: " + bin.names());
            assertSameTensors(TensorLister.of(twin), bin);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-random-opt-bin", "tiny-random-opt-sharded-bin"})
    void binModelFolderGivesTheSameWeightsAndLogitsAsSafetensors(String model) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DecoderModel st = ModelCheckpoint.load(SharedPaths.model("tiny-random-opt"), m, Device.cpu());
            DecoderModel bin = ModelCheckpoint.load(shared("models", model), m, Device.cpu());
            assertArrayEquals(
                    st.weights().tokenEmbedding().toFloatArray(),
                    bin.weights().tokenEmbedding().toFloatArray());
            assertArrayEquals(logits(st, m), logits(bin, m));
        }
    }

    @Test
    void everyDtypeSharedStorageAndStridedViewEqualsExpected() {
        Path folder = shared("data", "bin-dtypes");
        try (SafetensorsFile expected = SafetensorsFile.open(folder.resolve("expected.safetensors"));
                Checkpoint bin = Checkpoint.open(folder)) {
            assertEquals(
                    List.of("a.fp32", "b.bf16", "c.fp16", "d.shared_head", "e.shared_offset", "f.transposed"),
                    List.copyOf(bin.names()));
            assertSameTensors(TensorLister.of(expected), bin);
        }
    }

    @Test
    void unsafePickleIsRefusedNamingTheGlobalAndRunsNothing() throws IOException {
        // the fixture's pickle would run `echo ... > /tmp/unsafe-pickle-ran` (see pickletools)
        Path marker = Path.of("/tmp/unsafe-pickle-ran");
        Files.deleteIfExists(marker);
        Path folder = shared("data", "unsafe-pickle");
        UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> Checkpoint.open(folder));
        assertMessage(e, "posix.system", folder.resolve("pytorch_model.bin").toString());
        assertEquals("posix.system", e.global());
        assertFalse(Files.exists(marker), "the pickle's command ran");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"GLOBAL", "STACK_GLOBAL", "INST"})
    void globalsOffTheAllowListAreRefusedWhicheverOpcodeNamesThem(String opcode) throws IOException {
        org.shadowllm.common.pytorch.TorchBinWriter.Pickle p = new org.shadowllm.common.pytorch.TorchBinWriter.Pickle()
                .op(0x80)
                .op(2);
        byte[] bytes =
                switch (opcode) {
                    case "GLOBAL" -> p.global("builtins", "eval")
                            .str("1+1")
                            .op(0x85)
                            .op('R')
                            .op('.')
                            .bytes();
                    case "STACK_GLOBAL" -> p.str("builtins")
                            .str("eval")
                            .op(0x93)
                            .str("1+1")
                            .op(0x85)
                            .op('R')
                            .op('.')
                            .bytes();
                        // INST names its class inline and calls it on the items since MARK
                    default -> concat(
                            p.op('(').str("1+1").bytes(),
                            "ibuiltins\neval\n.".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                };
        Path file = dir.resolve("pytorch_model.bin");
        TorchZipWriter.writeZip(file, "archive", bytes, Map.of(), false);
        UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> Checkpoint.open(dir));
        assertMessage(e, file.toString(), "'builtins.eval'");
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void truncatedBinIsRefusedNamingTheFile() throws IOException {
        Path file = dir.resolve("pytorch_model.bin");
        Files.copy(shared("data", "bin-dtypes", "pytorch_model.bin"), file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        assertMessage(assertThrows(TorchBinException.class, () -> Checkpoint.open(dir)), file.toString(), "truncated");
    }

    @Test
    void shardMissingFromTheFolderIsRefusedNamingIt() throws IOException {
        Path sharded = shared("models", "tiny-random-opt-sharded-bin");
        for (String f : List.of("config.json", "pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin")) {
            Files.copy(sharded.resolve(f), dir.resolve(f));
        }
        assertMessage(
                assertThrows(TorchBinException.class, () -> Checkpoint.open(dir)),
                dir.resolve("pytorch_model-00002-of-00002.bin").toString(),
                "file not found");
    }

    @Test
    void tensorListedInTheIndexButAbsentFromItsShardIsNamed() throws IOException {
        TorchZipWriter.write(
                dir.resolve("one.bin"), "one", Map.of("a", new Tensor(new float[] {1, 2}, new long[] {2})));
        Files.writeString(
                dir.resolve("pytorch_model.bin.index.json"),
                "{\"weight_map\": {\"a\": \"one.bin\", \"b\": \"one.bin\"}}");
        assertMessage(
                assertThrows(TorchBinException.class, () -> Checkpoint.open(dir)),
                dir.resolve("one.bin").toString(),
                "tensor 'b'",
                "missing tensor");
    }

    @Test
    void indexShardOutsideTheModelFolderIsRefused() throws IOException {
        Files.writeString(
                dir.resolve("pytorch_model.bin.index.json"),
                "{\"metadata\": {}, \"weight_map\": {\"model.decoder.embed_tokens.weight\": \"../x.bin\"}}");
        RuntimeException e = assertThrows(RuntimeException.class, () -> Checkpoint.open(dir));
        assertMessage(
                e, dir.resolve("pytorch_model.bin.index.json").toString(), "'../x.bin' is not a file name inside");
    }

    @Test
    void legacyFormatIsRefusedWithTheConversionHint() throws IOException {
        // torch.save before 1.6: a bare pickle, starting with the magic number 0x1950a86a20f9469cfc6c
        byte[] legacy = {
            (byte) 0x80,
            2,
            (byte) 0x8a,
            10,
            0x6c,
            (byte) 0xfc,
            (byte) 0x9c,
            0x46,
            (byte) 0xf9,
            0x20,
            0x6a,
            (byte) 0xa8,
            0x50,
            0x19,
            '.'
        };
        Path file = dir.resolve("pytorch_model.bin");
        Files.write(file, legacy);
        assertMessage(
                assertThrows(TorchBinException.class, () -> Checkpoint.open(dir)),
                file.toString(),
                "legacy",
                "_use_new_zipfile_serialization=True",
                "safetensors");
    }

    @Test
    void forgedStringLengthIsRefusedBeforeAnythingIsAllocated() throws IOException {
        // BINUNICODE claiming 2 GiB - 1 bytes in a pickle of a dozen
        byte[] pickle = {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a', 'b', '.'};
        Path file = dir.resolve("pytorch_model.bin");
        TorchZipWriter.writeZip(file, "archive", pickle, Map.of(), false);
        assertMessage(
                assertThrows(TorchBinException.class, () -> Checkpoint.open(dir)),
                file.toString(),
                "runs past the end of the pickle");
    }

    @Test
    void compressedEntryIsRefused() throws IOException {
        Path file = dir.resolve("pytorch_model.bin");
        TorchZipWriter.writeZip(file, "archive", new byte[] {(byte) 0x80, 2, '}', '.'}, Map.of(), true);
        assertMessage(
                assertThrows(TorchBinException.class, () -> Checkpoint.open(dir)),
                file.toString(),
                "archive/data.pkl",
                "compressed");
    }

    @Test
    void namesWithoutTheModelPrefixLoad() throws IOException {
        Map<String, Tensor> prefixed = RandomCheckpoint.stateDict(CONFIG, 3L);
        Map<String, Tensor> bare = new LinkedHashMap<>();
        prefixed.forEach((k, v) -> bare.put(k.startsWith("model.") ? k.substring("model.".length()) : k, v));
        assertTrue(
                bare.containsKey("decoder.layers.1.fc1.weight"), bare.keySet().toString());
        Path reference = dir.resolve("reference");
        RandomCheckpoint.write(reference, CONFIG, prefixed);
        Path bin = dir.resolve("bin");
        Files.createDirectories(bin);
        Files.writeString(bin.resolve("config.json"), RandomCheckpoint.configJson(CONFIG));
        TorchZipWriter.write(bin.resolve("pytorch_model.bin"), "pytorch_model", bare);
        Path st = dir.resolve("safetensors");
        RandomCheckpoint.write(st, CONFIG, bare);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] expected = logits(ModelCheckpoint.load(reference, m, Device.cpu()), m);
            assertArrayEquals(expected, logits(ModelCheckpoint.load(bin, m, Device.cpu()), m), "bare .bin");
            assertArrayEquals(expected, logits(ModelCheckpoint.load(st, m, Device.cpu()), m), "bare safetensors");
        }
    }

    @Test
    void safetensorsWinsOverBinInOneFolder() throws IOException {
        Map<String, Tensor> st = RandomCheckpoint.stateDict(CONFIG, 1L);
        RandomCheckpoint.write(dir, CONFIG, st);
        TorchZipWriter.write(dir.resolve("pytorch_model.bin"), "pytorch_model", RandomCheckpoint.stateDict(CONFIG, 2L));
        assertEquals(List.of(dir.resolve("model.safetensors")), Checkpoint.files(dir));
        try (Checkpoint c = Checkpoint.open(dir)) {
            String name = "model.decoder.layers.0.fc1.weight";
            assertArrayEquals(st.get(name).values(), c.read(name));
        }
        Files.delete(dir.resolve("model.safetensors"));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(List.of(dir.resolve("pytorch_model.bin")), Checkpoint.files(dir));
            assertTrue(c.contains("model.decoder.layers.0.fc1.weight"));
        }
    }

    @Test
    void folderWithoutWeightsNamesItAndTheFourFiles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(dir));
        assertMessage(
                e,
                dir.toString(),
                SafetensorsCheckpoint.SINGLE_FILE,
                SafetensorsCheckpoint.INDEX_FILE,
                "pytorch_model.bin",
                "pytorch_model.bin.index.json");
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.files(dir));
    }

    static float[] logits(DecoderModel model, NDManager m) {
        try (model;
                NDManager scope = m.newSubManager()) {
            NDArray ids = scope.create(new long[] {0, 4, 9, 17, 28}, new Shape(1, 5));
            return model.logits(scope, model.forward(scope, ids, LayerTap.NONE, null))
                    .toFloatArray();
        }
    }
}
