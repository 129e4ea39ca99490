package org.shadowllm.common.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.Golden;
import org.shadowllm.common.SharedPaths;

class ByteLevelBpeTokenizerTest {
    private static final int BOS = 50256;

    /** Hugging Face's own (Rust) tokenizer is the reference: every WikiText-2 test line must agree. */
    @Test
    void matchesHuggingFaceTokenizersOnWikitext() throws IOException {
        Path model = Golden.modelDir();
        ByteLevelBpeTokenizer ours = TokenizerLoader.load(model, BOS);
        List<String> lines = Files.readAllLines(SharedPaths.root().resolve("data/wikitext-2-raw/test.txt"));
        assertTrue(lines.size() > 4000);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                .optTokenizerPath(model)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .build()) {
            int checked = 0;
            for (int i = 0; i < lines.size(); i += 3) {
                String line = lines.get(i);
                long[] expected = hf.encode(line).getIds();
                int[] actual = ours.encode(line);
                assertEquals(expected.length, actual.length, "token count of line " + (i + 1));
                for (int j = 0; j < actual.length; j++) {
                    assertEquals(expected[j], actual[j], "line " + (i + 1) + " token " + j);
                }
                checked++;
            }
            assertTrue(checked > 1400);
        }
    }

    @Test
    void vocabAndMergesGiveTheSameIdsAsTokenizerJson() throws IOException {
        Path model = Golden.modelDir();
        ByteLevelBpeTokenizer fromJson = TokenizerLoader.fromTokenizerJson(model.resolve("tokenizer.json"), BOS);
        ByteLevelBpeTokenizer fromFiles =
                TokenizerLoader.fromVocabAndMerges(model.resolve("vocab.json"), model.resolve("merges.txt"), BOS);
        String text = Files.readString(SharedPaths.root().resolve("data/wikitext-2-raw/test.txt"))
                .substring(0, 20000);
        assertArrayEquals(fromJson.encode(text), fromFiles.encode(text));
        assertArrayEquals(fromJson.encodeWithBos("naïve café"), fromFiles.encodeWithBos("naïve café"));
    }

    @Test
    void bosIsPrependedOnlyByEncodeWithBos() {
        ByteLevelBpeTokenizer t = TokenizerLoader.load(Golden.modelDir(), BOS);
        assertArrayEquals(new int[] {15496, 995}, t.encode("Hello world"));
        assertArrayEquals(new int[] {BOS, 15496, 995}, t.encodeWithBos("Hello world"));
        assertArrayEquals(new int[0], t.encode(""));
    }

    @Test
    void vocabularyWithoutByteSymbolsIsRefused() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new ByteLevelBpeTokenizer(Map.of("a", 0), List.of(), 0));
        assertTrue(e.getMessage().contains("byte-level"));
    }

    @Test
    void missingTokenizerFilesAreNamed(@org.junit.jupiter.api.io.TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenizerLoader.load(dir, 2));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains(dir.toString()));
    }
}
