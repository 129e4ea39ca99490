package org.shadowllm.common.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptTokens;

/**
 * A SentencePiece-style BPE {@code tokenizer.json} as Llama-2 ships it (normalizer Prepend "▁" + Replace
 * " " → "▁", no pre-tokenizer, BPE with {@code byte_fallback}, a post-processor that would add
 * {@code <s>}), with a vocabulary of a few words, read through {@link TokenizerLoader} and checked against
 * ids worked out by hand from that vocabulary and its merges.
 */
class HuggingFaceJsonTokenizerTest {
    private static final int BOS = 1;
    /** After {@code <unk>}, {@code <s>}, {@code </s>} (0–2) and the 256 byte tokens {@code <0x00>}… (3–258). */
    private static final List<String> WORDS =
            List.of("▁", "c", "a", "t", "s", "h", "e", "▁c", "at", "▁cat", "▁s", "▁sat", "▁t", "he", "▁the");

    private static final String[] MERGES = {"▁ c", "a t", "▁c at", "▁ s", "▁s at", "▁ t", "h e", "▁t he"};

    @TempDir
    static Path dir;

    private static Tokenizer tokenizer;

    private static int id(String token) {
        int i = WORDS.indexOf(token);
        if (i < 0) {
            throw new IllegalArgumentException(token);
        }
        return 259 + i;
    }

    private static int byteId(int b) {
        return 3 + b;
    }

    static JsonObject llama2StyleTokenizerJson() {
        JsonObject vocab = new JsonObject();
        vocab.addProperty("<unk>", 0);
        vocab.addProperty("<s>", 1);
        vocab.addProperty("</s>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.addProperty(String.format("<0x%02X>", b), byteId(b));
        }
        for (String w : WORDS) {
            vocab.addProperty(w, id(w));
        }
        JsonArray merges = new JsonArray();
        for (String m : MERGES) {
            merges.add(m);
        }
        JsonObject model = JsonParser.parseString("{\"type\": \"BPE\", \"dropout\": null, \"unk_token\": \"<unk>\","
                        + " \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": true,"
                        + " \"byte_fallback\": true}")
                .getAsJsonObject();
        model.add("vocab", vocab);
        model.add("merges", merges);
        JsonObject root = JsonParser.parseString("{\"version\": \"1.0\", \"truncation\": null, \"padding\": null,"
                        + " \"added_tokens\": ["
                        + "  {\"id\": 0, \"content\": \"<unk>\", \"single_word\": false, \"lstrip\": false,"
                        + "   \"rstrip\": false, \"normalized\": false, \"special\": true},"
                        + "  {\"id\": 1, \"content\": \"<s>\", \"single_word\": false, \"lstrip\": false,"
                        + "   \"rstrip\": false, \"normalized\": false, \"special\": true},"
                        + "  {\"id\": 2, \"content\": \"</s>\", \"single_word\": false, \"lstrip\": false,"
                        + "   \"rstrip\": false, \"normalized\": false, \"special\": true}],"
                        + " \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": ["
                        + "  {\"type\": \"Prepend\", \"prepend\": \"▁\"},"
                        + "  {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}]},"
                        + " \"pre_tokenizer\": null,"
                        + " \"post_processor\": {\"type\": \"TemplateProcessing\","
                        + "  \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}},"
                        + "             {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
                        + "  \"pair\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}},"
                        + "           {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}},"
                        + "           {\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 1}},"
                        + "           {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}],"
                        + "  \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1], \"tokens\": [\"<s>\"]}}},"
                        + " \"decoder\": {\"type\": \"Sequence\", \"decoders\": ["
                        + "  {\"type\": \"Replace\", \"pattern\": {\"String\": \"▁\"}, \"content\": \" \"},"
                        + "  {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"},"
                        + "  {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]}}")
                .getAsJsonObject();
        root.add("model", model);
        return root;
    }

    @BeforeAll
    static void load() throws IOException {
        Files.writeString(
                dir.resolve("tokenizer.json"), llama2StyleTokenizerJson().toString());
        tokenizer = TokenizerLoader.load(dir, BOS);
    }

    @Test
    void theLoaderHandsASentencePieceStyleJsonToHuggingFace() {
        assertInstanceOf(HuggingFaceJsonTokenizer.class, tokenizer);
        assertEquals(BOS, tokenizer.bosTokenId());
    }

    /** Every shared model ships GPT-2's byte-level BPE: those stay on the exact Java implementation. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-opt", "opt-mini-trained", "tiny-random-llama", "llama-mini-trained"})
    void gpt2ByteLevelJsonStaysOnTheJavaBpe(String model) {
        assertInstanceOf(ByteLevelBpeTokenizer.class, TokenizerLoader.load(SharedPaths.model(model), 50256));
    }

    @Test
    void wordsInTheVocabularyAndWordsBuiltByMergesGiveHandWorkedIds() {
        // "▁the": ▁ t → ▁t, h e → he, ▁t he → ▁the; "▁cat": ▁ c, a t, ▁c at; "▁sat": ▁ s, then ▁s at
        assertArrayEquals(new int[] {id("▁the"), id("▁cat"), id("▁sat")}, tokenizer.encode("the cat sat"));
        assertArrayEquals(new int[] {id("▁cat")}, tokenizer.encode("cat"));
        // no merge joins ▁ and h: "▁" stays alone, then h e → he; "▁cats" has no merge for the final s
        assertArrayEquals(new int[] {id("▁"), id("he")}, tokenizer.encode("he"));
        assertArrayEquals(new int[] {id("▁cat"), id("s")}, tokenizer.encode("cats"));
    }

    @Test
    void aCharacterOutsideTheVocabularyFallsBackToItsUtf8Bytes() {
        // é = C3 A9, € = E2 82 AC
        assertArrayEquals(new int[] {id("▁"), byteId(0xC3), byteId(0xA9)}, tokenizer.encode("é"));
        assertArrayEquals(
                new int[] {id("▁cat"), byteId(0xE2), byteId(0x82), byteId(0xAC), id("s")}, tokenizer.encode("cat€s"));
    }

    /** The json's post-processor would add {@code <s>}; BOS comes from the model's config, once. */
    @Test
    void noSpecialTokenIsAddedAndBosComesFromTheConfig() {
        assertArrayEquals(new int[] {id("▁cat")}, tokenizer.encode("cat"));
        assertArrayEquals(new int[] {BOS, id("▁cat")}, tokenizer.encodeWithBos("cat"));
        Tokenizer otherBos = TokenizerLoader.load(dir, 2);
        assertArrayEquals(new int[] {2, id("▁cat")}, otherBos.encodeWithBos("cat"));
        assertArrayEquals(new int[0], tokenizer.encode(""));
    }

    /**
     * CRITERIA.md: context and continuation are tokenized apart. The continuation's leading space is kept as
     * Hugging Face's Llama-2 tokenizer keeps it: the prepended "▁" and the space's own "▁" do not merge, so a
     * lone "▁" comes first (token 29871 in Llama-2's vocabulary).
     */
    @Test
    void contextAndContinuationAreTokenizedApart() {
        PromptTokens p = PromptTokens.of(new Prompt(FewShotTask.PIQA, 0, "ex", "the cat", " sat"), tokenizer, 64);
        assertArrayEquals(new int[] {BOS, id("▁the"), id("▁cat"), id("▁"), id("▁sat")}, p.tokens());
        assertEquals(2, p.continuationLength());
        assertArrayEquals(new int[] {id("▁sat")}, tokenizer.encode("sat"));
    }

    /** DJL's default truncates to 512 tokens; here nothing is cut, and only text past the cap is refused. */
    @Test
    void longTextIsNeverTruncatedAndTextPastTheCapIsRefused() {
        StringBuilder text = new StringBuilder();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            text.append(i == 0 ? "the cat" : " the cat");
            expected.add(id("▁the"));
            expected.add(id("▁cat"));
        }
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), tokenizer.encode(text.toString()));
        String tooLong = "a".repeat(HuggingFaceJsonTokenizer.MAX_CHARS + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(tooLong));
        assertTrue(e.getMessage().contains(String.valueOf(HuggingFaceJsonTokenizer.MAX_CHARS)), e.getMessage());
    }

    @Test
    void aJsonHuggingFaceCannotReadIsRefusedNamingTheFile(@TempDir Path other) throws IOException {
        JsonObject broken = llama2StyleTokenizerJson();
        broken.getAsJsonObject("model").addProperty("type", "NoSuchModel");
        Files.writeString(other.resolve("tokenizer.json"), broken.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenizerLoader.load(other, 1));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
}
