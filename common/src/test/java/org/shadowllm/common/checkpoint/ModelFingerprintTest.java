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
}
