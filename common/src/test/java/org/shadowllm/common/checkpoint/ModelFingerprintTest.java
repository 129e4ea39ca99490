package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.pytorch.StoredZip;

class ModelFingerprintTest {
    static final DecoderConfig CONFIG = DecoderConfig.of(64, 16, 2, 2, 32, 24);

    @Test
    void aCopyHasTheSameFingerprintAndAnotherTrainingOfTheSameShapeDoesNot(@TempDir Path dir) throws IOException {
        RandomCheckpoint.write(dir.resolve("a"), CONFIG, 1);
        RandomCheckpoint.write(dir.resolve("same-name-other-weights"), CONFIG, 2);
        Files.createDirectories(dir.resolve("copy"));
        try (var files = Files.list(dir.resolve("a"))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve("copy").resolve(f.getFileName()));
            }
        }
        String a = ModelFingerprint.of(dir.resolve("a"));
        assertTrue(a.matches("[0-9a-f]{16}"), a);
        assertEquals(a, ModelFingerprint.of(dir.resolve("copy")));
        assertNotEquals(a, ModelFingerprint.of(dir.resolve("same-name-other-weights")));
        assertNotEquals(
                ModelFingerprint.of(SharedPaths.model("tiny-random-opt")),
                ModelFingerprint.of(SharedPaths.model("opt-mini-trained")));
    }

    /** A re-run after a tokenizer change must not skip its sets as unchanged: every prompt's tokens moved. */
    @Test
    void aChangedTokenizerFileChangesTheFingerprint(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m");
        RandomCheckpoint.write(model, CONFIG, 1);
        Files.copy(SharedPaths.model("tiny-random-opt").resolve("merges.txt"), model.resolve("merges.txt"));
        String before = ModelFingerprint.of(model);
        Files.writeString(model.resolve("merges.txt"), "\nĠ t", java.nio.file.StandardOpenOption.APPEND);
        assertNotEquals(before, ModelFingerprint.of(model), "merges.txt changed");
        String withMerges = ModelFingerprint.of(model);
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        assertNotEquals(withMerges, ModelFingerprint.of(model), "tokenizer.json added");
    }

    @Test
    void binFoldersAreFingerprintedACopyMatchesAndAnotherCheckpointDoesNot(@TempDir Path dir) throws IOException {
        Path bin = SharedPaths.model("tiny-random-opt-bin");
        Path copy = dir.resolve("copy");
        copyFolder(bin, copy);
        String a = ModelFingerprint.of(bin);
        assertTrue(a.matches("[0-9a-f]{16}"), a);
        assertEquals(a, ModelFingerprint.of(copy));
        assertNotEquals(a, ModelFingerprint.of(SharedPaths.model("tiny-random-opt-sharded-bin")));
        assertNotEquals(a, ModelFingerprint.of(SharedPaths.model("tiny-random-opt")));
        // same config and tokenizer, other weights: bin-dtypes' file in place of the model's
        Files.copy(
                SharedPaths.root().resolve("data/bin-dtypes/pytorch_model.bin"),
                copy.resolve("pytorch_model.bin"),
                StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(a, ModelFingerprint.of(copy));
    }

    @Test
    void oneChangedByteOfABinStorageChangesTheFingerprint(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m");
        RandomCheckpoint.write(model, CONFIG, 1);
        Files.delete(model.resolve("model.safetensors"));
        Path file = model.resolve("pytorch_model.bin");
        Files.copy(SharedPaths.root().resolve("data/bin-dtypes/pytorch_model.bin"), file);
        String before = ModelFingerprint.of(model);
        long at;
        try (FileChannel ch = FileChannel.open(file)) {
            at = StoredZip.read(ch, file.toString())
                    .entries()
                    .get("pytorch_model/data/3")
                    .dataOffset();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(at + 5);
            int b = raf.read();
            raf.seek(at + 5);
            raf.write(b ^ 0x01);
        }
        assertNotEquals(before, ModelFingerprint.of(model));
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
