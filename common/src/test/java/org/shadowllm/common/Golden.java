package org.shadowllm.common;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.shadowllm.common.safetensors.SafetensorsFile;

/**
 * The float64 reference values in shared/golden/&lt;model&gt;: one folder per model, each with {@code golden.json}
 * (shape, examples, tokenizations, perplexity) and {@code golden.safetensors}.
 */
public final class Golden implements AutoCloseable {
    /** The model the single-model tests use. */
    public static final String DEFAULT_MODEL = "tiny-random-opt";

    public record Example(
            String tag, String id, String context, String continuation, int[] inputIds, int[] targetIds, double loss) {
        public int[] allTokens() {
            int[] all = java.util.Arrays.copyOf(inputIds, inputIds.length + 1);
            all[inputIds.length] = targetIds[targetIds.length - 1];
            return all;
        }
    }

    public record Tokenization(String text, int[] ids) {}

    public final JsonObject json;
    public final SafetensorsFile tensors;

    private Golden(JsonObject json, SafetensorsFile tensors) {
        this.json = json;
        this.tensors = tensors;
    }

    public static Path modelDir() {
        return modelDir(DEFAULT_MODEL);
    }

    public static Path modelDir(String model) {
        return SharedPaths.require(SharedPaths.model(model), model + " model");
    }

    public static Golden load() {
        return load(DEFAULT_MODEL);
    }

    /** Every model with a golden folder, sorted by name. */
    public static List<String> models() {
        Path root = SharedPaths.require(SharedPaths.root().resolve("golden"), "golden values");
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("golden.json")))
                    .map(d -> d.getFileName().toString())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model family {@code golden.json} names ({@code "family"}); folders written before it existed are OPT. */
    public static String family(String model) {
        Path json = SharedPaths.require(SharedPaths.root().resolve("golden").resolve(model), "golden values")
                .resolve("golden.json");
        try {
            JsonElement family = JsonParser.parseString(Files.readString(json))
                    .getAsJsonObject()
                    .get("family");
            return family == null ? "opt" : family.getAsString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Golden load(String model) {
        Path dir = SharedPaths.require(SharedPaths.root().resolve("golden").resolve(model), "golden values");
        try {
            JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("golden.json")))
                    .getAsJsonObject();
            return new Golden(json, SafetensorsFile.open(dir.resolve("golden.safetensors")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<Example> examples() {
        List<Example> out = new ArrayList<>();
        for (JsonElement e : json.getAsJsonArray("examples")) {
            JsonObject o = e.getAsJsonObject();
            out.add(new Example(
                    o.get("tag").getAsString(),
                    o.get("id").getAsString(),
                    o.get("context").getAsString(),
                    o.get("continuation").getAsString(),
                    ints(o.getAsJsonArray("input_ids")),
                    ints(o.getAsJsonArray("target_ids")),
                    o.get("loss").getAsDouble()));
        }
        return out;
    }

    /** The examples as the criteria take them: all tokens, the last {@code target_ids} of them scored. */
    public List<org.shadowllm.common.criteria.ScoredExample> scoredExamples() {
        List<org.shadowllm.common.criteria.ScoredExample> out = new ArrayList<>();
        for (Example e : examples()) {
            out.add(new org.shadowllm.common.criteria.ScoredExample(e.id(), e.allTokens(), e.targetIds().length));
        }
        return out;
    }

    public List<Tokenization> tokenizations() {
        List<Tokenization> out = new ArrayList<>();
        for (JsonElement e : json.getAsJsonArray("tokenization")) {
            JsonObject o = e.getAsJsonObject();
            out.add(new Tokenization(o.get("text").getAsString(), ints(o.getAsJsonArray("ids"))));
        }
        return out;
    }

    public double[] tensor(String name) {
        return tensors.readDoubles(name);
    }

    public static int[] ints(JsonArray a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsInt();
        }
        return r;
    }

    @Override
    public void close() {
        tensors.close();
    }
}
