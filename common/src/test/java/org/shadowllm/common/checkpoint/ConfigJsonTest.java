package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shadowllm.common.SharedPaths;

class ConfigJsonTest {
    @TempDir
    Path dir;

    private Path configWith(String key, String value) throws IOException {
        String json = Files.readString(SharedPaths.model("tiny-random-opt").resolve("config.json"));
        String changed = json.replaceFirst("\"" + key + "\"\\s*:\\s*[^,}\\n]+", "\"" + key + "\": " + value);
        assertTrue(!changed.equals(json) || json.contains("\"" + key + "\": " + value), "no " + key + " to change");
        Files.writeString(dir.resolve("config.json"), changed);
        return dir;
    }

    /** 4294967424 = 2^32 + 128: Gson's getAsInt wrapped it to 128 and the model ran at that width. */
    @ParameterizedTest
    @CsvSource({
        "hidden_size, 4294967424",
        "hidden_size, 128.5",
        "num_hidden_layers, -4",
        "ffn_dim, '\"512\"'",
        "bos_token_id, 1e10",
        "word_embed_proj_dim, 2147483648"
    })
    void anIntegerThatIsNotExactlyAnIntInRangeIsRefusedNamingItsKey(String key, String value) throws IOException {
        Path model = configWith(key, value);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ModelCheckpoint.readConfig(model));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void anIntegerWrittenWithAZeroFractionStillReads() throws IOException {
        assertEquals(
                128,
                ModelCheckpoint.readConfig(configWith("hidden_size", "128.0")).hiddenSize());
    }
}
