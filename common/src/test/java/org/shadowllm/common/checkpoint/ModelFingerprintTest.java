package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.model.OptConfig;

class ModelFingerprintTest {
    static final OptConfig CONFIG = OptConfig.of(64, 16, 2, 2, 32, 24);

    @Test
    void aCopyHasTheSameFingerprintAndAnotherTrainingOfTheSameShapeDoesNot(@TempDir Path dir) throws IOException {
        RandomOptCheckpoint.write(dir.resolve("a"), CONFIG, 1);
        RandomOptCheckpoint.write(dir.resolve("same-name-other-weights"), CONFIG, 2);
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
        RandomOptCheckpoint.write(model, CONFIG, 1);
        Files.copy(SharedPaths.model("tiny-random-opt").resolve("merges.txt"), model.resolve("merges.txt"));
        String before = ModelFingerprint.of(model);
        Files.writeString(model.resolve("merges.txt"), "\nĠ t", java.nio.file.StandardOpenOption.APPEND);
        assertNotEquals(before, ModelFingerprint.of(model), "merges.txt changed");
        String withMerges = ModelFingerprint.of(model);
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        assertNotEquals(withMerges, ModelFingerprint.of(model), "tokenizer.json added");
    }
}
