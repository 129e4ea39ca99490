package org.shadowllm.common.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
        ByteLevelBpeTokenizer ours = assertInstanceOf(ByteLevelBpeTokenizer.class, TokenizerLoader.load(model, BOS));
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

    /**
     * Hostile input: one 2 MB word with no whitespace. GPT-2's plain merge loop is quadratic in a word's
     * length (9.5 s at 1 MB, about four times that at 2 MB); the queued merge stays well under a second
     * a megabyte, and gives Hugging Face's ids on long random words.
     */
    @Test
    void aMegabyteWordTokenizesInLinearishTimeWithHuggingFacesIds() throws IOException {
        Path model = Golden.modelDir();
        ByteLevelBpeTokenizer ours = assertInstanceOf(ByteLevelBpeTokenizer.class, TokenizerLoader.load(model, BOS));
        java.util.Random random = new java.util.Random(7);
        String letters = "etaoinshrdlucmfwypvbgkjqxz";
        StringBuilder word = new StringBuilder(" ");
        while (word.length() < 2_000_000) {
            word.append(letters.charAt(Math.min(letters.length() - 1, (int) (random.nextExponential() * 6))));
        }
        long start = System.nanoTime();
        int[] ids = ours.encode(word.toString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 8, "2 MB word took " + seconds + " s");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                .optTokenizerPath(model)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .build()) {
            String piece = word.substring(0, 20_000);
            long[] expected = hf.encode(piece).getIds();
            int[] actual = ours.encode(piece);
            assertEquals(expected.length, actual.length);
            for (int j = 0; j < actual.length; j++) {
                assertEquals(expected[j], actual[j], "token " + j);
            }
            assertTrue(ids.length > 100_000, "tokens: " + ids.length);
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
        ByteLevelBpeTokenizer t =
                assertInstanceOf(ByteLevelBpeTokenizer.class, TokenizerLoader.load(Golden.modelDir(), BOS));
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
