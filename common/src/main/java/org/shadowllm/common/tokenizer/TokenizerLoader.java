package org.shadowllm.common.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a model directory's tokenizer: GPT-2's byte-level BPE ({@code tokenizer.json} with a plain
 * {@code ByteLevel} pre-tokenizer, or {@code vocab.json} + {@code merges.txt}) in pure Java
 * ({@link ByteLevelBpeTokenizer}); any other {@code tokenizer.json} through Hugging Face's library
 * ({@link HuggingFaceJsonTokenizer}).
 */
public final class TokenizerLoader {
    private TokenizerLoader() {}

    /** Prefers {@code tokenizer.json}; falls back to {@code vocab.json} + {@code merges.txt}. */
    public static Tokenizer load(Path modelDir, int bosTokenId) {
        Path json = modelDir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) {
            return isGpt2ByteLevel(json)
                    ? fromTokenizerJson(json, bosTokenId)
                    : HuggingFaceJsonTokenizer.load(json, bosTokenId);
        }
        Path vocab = modelDir.resolve("vocab.json");
        Path merges = modelDir.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
            return fromVocabAndMerges(vocab, merges, bosTokenId);
        }
        throw new IllegalArgumentException(modelDir + ": no tokenizer.json and no vocab.json + merges.txt");
    }

    /**
     * Whether the file is exactly what {@link ByteLevelBpeTokenizer} implements: a BPE model, no normalizer,
     * and a lone {@code ByteLevel} pre-tokenizer that splits by GPT-2's regex without a prefix space. A
     * {@code ByteLevel} step inside a {@code Sequence} (Llama-3 splits by its own regex first) or with other
     * options is left to Hugging Face's library, which gives Python's ids for all of them.
     */
    static boolean isGpt2ByteLevel(Path file) {
        JsonObject root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": not a valid tokenizer.json: " + e, e);
        }
        JsonElement model = root.get("model");
        JsonElement pre = root.get("pre_tokenizer");
        JsonElement normalizer = root.get("normalizer");
        return model != null
                && model.isJsonObject()
                && "BPE".equals(text(model.getAsJsonObject(), "type"))
                && (normalizer == null || normalizer.isJsonNull())
                && pre != null
                && pre.isJsonObject()
                && "ByteLevel".equals(text(pre.getAsJsonObject(), "type"))
                && !flag(pre.getAsJsonObject(), "add_prefix_space", false)
                && flag(pre.getAsJsonObject(), "use_regex", true);
    }

    private static String text(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static boolean flag(JsonObject o, String key, boolean dflt) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() ? e.getAsBoolean() : dflt;
    }

    public static ByteLevelBpeTokenizer fromTokenizerJson(Path file, int bosTokenId) {
        try {
            JsonObject root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject();
            JsonObject model = root.getAsJsonObject("model");
            if (model == null || !"BPE".equals(model.get("type").getAsString())) {
                throw new IllegalArgumentException(file + ": model.type is not BPE");
            }
            JsonObject pre = root.getAsJsonObject("pre_tokenizer");
            if (pre == null || !"ByteLevel".equals(pre.get("type").getAsString())) {
                throw new IllegalArgumentException(file + ": pre_tokenizer is not ByteLevel");
            }
            if (pre.has("add_prefix_space") && pre.get("add_prefix_space").getAsBoolean()) {
                throw new IllegalArgumentException(file + ": add_prefix_space=true is not GPT-2/OPT tokenization");
            }
            Map<String, Integer> vocab = new HashMap<>();
            for (Map.Entry<String, JsonElement> e :
                    model.getAsJsonObject("vocab").entrySet()) {
                vocab.put(e.getKey(), e.getValue().getAsInt());
            }
            addAddedTokens(root, vocab);
            List<String> merges = new ArrayList<>();
            for (JsonElement m : model.getAsJsonArray("merges")) {
                if (m.isJsonArray()) {
                    JsonArray pair = m.getAsJsonArray();
                    merges.add(pair.get(0).getAsString() + " " + pair.get(1).getAsString());
                } else {
                    merges.add(m.getAsString());
                }
            }
            return new ByteLevelBpeTokenizer(vocab, merges, bosTokenId);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
            throw new IllegalArgumentException(file + ": not a valid tokenizer.json: " + e, e);
        }
    }

    private static void addAddedTokens(JsonObject root, Map<String, Integer> vocab) {
        JsonArray added = root.getAsJsonArray("added_tokens");
        if (added == null) {
            return;
        }
        for (JsonElement e : added) {
            JsonObject t = e.getAsJsonObject();
            vocab.putIfAbsent(t.get("content").getAsString(), t.get("id").getAsInt());
        }
    }

    public static ByteLevelBpeTokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile, int bosTokenId) {
        try {
            JsonObject v = JsonParser.parseString(Files.readString(vocabFile, StandardCharsets.UTF_8))
                    .getAsJsonObject();
            Map<String, Integer> vocab = new HashMap<>();
            for (Map.Entry<String, JsonElement> e : v.entrySet()) {
                vocab.put(e.getKey(), e.getValue().getAsInt());
            }
            List<String> merges = new ArrayList<>();
            for (String line : Files.readAllLines(mergesFile, StandardCharsets.UTF_8)) {
                if (line.startsWith("#version") || line.isBlank()) {
                    continue;
                }
                merges.add(line);
            }
            return new ByteLevelBpeTokenizer(vocab, merges, bosTokenId);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read " + vocabFile + " / " + mergesFile + ": " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(vocabFile + ": not a JSON object of token to id", e);
        }
    }
}
