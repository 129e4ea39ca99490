package org.shadowllm.common;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the read-only shared folder (models, data, golden values) lives: system property
 * {@code shadowllm.shared}, else env {@code SHADOWLLM_SHARED}, else {@code ../shared}.
 */
public final class SharedPaths {
    private SharedPaths() {}

    public static Path root() {
        String p = System.getProperty("shadowllm.shared");
        if (p == null || p.isBlank()) {
            p = System.getenv("SHADOWLLM_SHARED");
        }
        return Path.of(p == null || p.isBlank() ? "../shared" : p)
                .toAbsolutePath()
                .normalize();
    }

    public static Path model(String name) {
        return root().resolve("models").resolve(name);
    }

    /** The path, or a clear error naming it and how to point elsewhere. */
    public static Path require(Path path, String what) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(what + " not found at " + path
                    + " (set -Dshadowllm.shared=DIR or SHADOWLLM_SHARED to the shared folder)");
        }
        return path;
    }
}
