package org.shadowllm.common.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** A Llama config.json as CRITERIA.md's "Llama-family models" section reads it, and the checkpoint's names. */
class LlamaConfigTest {
    @TempDir
    Path dir;

    private static JsonObject sharedConfig(String model) throws IOException {
        return JsonParser.parseString(Files.readString(SharedPaths.model(model).resolve("config.json")))
                .getAsJsonObject();
    }

    private DecoderConfig read(JsonObject config) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toString());
        return ModelCheckpoint.readConfig(dir);
    }

    private IllegalArgumentException refused(JsonObject config) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toString());
        return assertThrows(IllegalArgumentException.class, () -> ModelCheckpoint.readConfig(dir));
    }

    private static JsonObject minimal() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "llama");
        c.addProperty("vocab_size", 320);
        c.addProperty("hidden_size", 64);
        c.addProperty("num_hidden_layers", 2);
        c.addProperty("num_attention_heads", 4);
        c.addProperty("intermediate_size", 100);
        return c;
    }

    private static JsonObject with(JsonObject c, String key, String json) {
        JsonObject copy = c.deepCopy();
        copy.add(key, JsonParser.parseString(json));
        return copy;
    }

    @Test
    void absentKeysTakeTheDocumentedDefaults() throws IOException {
        DecoderConfig c = read(minimal());
        assertEquals(ModelFamily.LLAMA, c.family());
        assertEquals(4, c.numKvHeads(), "num_key_value_heads = num_attention_heads");
        assertEquals(16, c.headDim(), "head_dim = hidden_size / num_attention_heads");
        assertEquals(1e-6, c.normEps(), "rms_norm_eps");
        assertFalse(c.tieWordEmbeddings(), "tie_word_embeddings (OPT's default is true)");
        assertEquals(10000, c.ropeTheta(), "rope_theta");
        assertFalse(c.biases());
        assertTrue(c.normBefore() && c.finalNorm());
    }

    @Test
    void bothSharedLlamaConfigsLoadTheirShape() throws IOException {
        DecoderConfig tiny = ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-llama"));
        assertEquals(
                DecoderConfig.builder(ModelFamily.LLAMA)
                        .shape(50272, 128, 3, 8, 352)
                        .kvHeads(2)
                        .headDim(16)
                        .maxPositions(512)
                        .tieWordEmbeddings(false)
                        .normEps(1e-5)
                        .ropeTheta(10000)
                        .specialTokens(50256, 50256, 50256)
                        .build(),
                tiny);
        DecoderConfig mini = ModelCheckpoint.readConfig(SharedPaths.model("llama-mini-trained"));
        assertEquals(
                DecoderConfig.builder(ModelFamily.LLAMA)
                        .shape(50272, 256, 6, 8, 704)
                        .kvHeads(4)
                        .headDim(32)
                        .maxPositions(512)
                        .tieWordEmbeddings(true)
                        .normEps(1e-5)
                        .ropeTheta(10000)
                        .specialTokens(50256, 50256, 50256)
                        .build(),
                mini);
    }

    @Test
    void headDimMayDifferFromHiddenOverHeads() throws IOException {
        DecoderConfig c = read(with(with(minimal(), "head_dim", "12"), "num_key_value_heads", "2"));
        assertEquals(12, c.headDim());
        assertEquals(48, c.attentionWidth());
        assertEquals(24, c.kvWidth());
        assertEquals(64, c.hiddenSize());
    }

    @ParameterizedTest
    @CsvSource({
        "rope_scaling, type, linear",
        "rope_scaling, rope_type, llama3",
        "rope_scaling, type, dynamic",
        "rope_scaling, rope_type, yarn",
        "rope_parameters, rope_type, linear",
        "rope_parameters, rope_type, llama3",
        "rope_parameters, rope_type, dynamic"
    })
    void anotherRotarySchemeIsRefusedByItsName(String key, String field, String type) throws IOException {
        String json = "{\"" + field + "\": \"" + type + "\", \"factor\": 8.0, \"rope_theta\": 10000.0}";
        IllegalArgumentException e = refused(with(minimal(), key, json));
        assertTrue(e.getMessage().contains(key), e.getMessage());
        assertTrue(e.getMessage().contains("'" + type + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "null",
                "{\"rope_type\": \"default\"}",
                "{\"type\": \"default\"}",
            })
    void theDefaultRotarySchemeIsAccepted(String ropeScaling) throws IOException {
        assertEquals(10000, read(with(minimal(), "rope_scaling", ropeScaling)).ropeTheta());
    }

    /** transformers 5 keeps rope_theta inside rope_parameters: a Llama-3 base of 500000 must not read as 10000. */
    @Test
    void ropeThetaInsideRopeParametersIsRead() throws IOException {
        JsonObject c = with(minimal(), "rope_parameters", "{\"rope_type\": \"default\", \"rope_theta\": 500000.0}");
        assertEquals(500000, read(c).ropeTheta());
        assertEquals(500000, read(with(c, "rope_theta", "500000.0")).ropeTheta());
        IllegalArgumentException e = refused(with(c, "rope_theta", "10000.0"));
        assertTrue(e.getMessage().contains("rope_parameters.rope_theta"), e.getMessage());
    }

    @Test
    void anActivationOtherThanSiluIsRefused() throws IOException {
        assertEquals(64, read(with(minimal(), "hidden_act", "\"silu\"")).hiddenSize());
        IllegalArgumentException e = refused(with(minimal(), "hidden_act", "\"gelu\""));
        assertTrue(e.getMessage().contains("'gelu'") && e.getMessage().contains("hidden_act"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"attention_bias", "mlp_bias"})
    void biasesAreRefused(String key) throws IOException {
        assertFalse(read(with(minimal(), key, "false")).biases());
        IllegalArgumentException e = refused(with(minimal(), key, "true"));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    /** Gson's getAsBoolean reads 1 as false: attention_bias 1 would have run a biased model without its biases. */
    @ParameterizedTest
    @CsvSource({"attention_bias, 1", "tie_word_embeddings, '\"true\"'", "mlp_bias, '\"yes\"'"})
    void aFlagThatIsNotABooleanIsRefusedNamingItsKey(String key, String value) throws IOException {
        IllegalArgumentException e = refused(with(minimal(), key, value));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "num_key_value_heads, 2.5",
        "num_key_value_heads, -2",
        "head_dim, '\"16\"'",
        "intermediate_size, 4294967648",
        "num_attention_heads, 1e10",
        "max_position_embeddings, 2147483648",
        "bos_token_id, 0.5",
        "rms_norm_eps, '\"1e-5\"'",
        "rope_theta, '\"10000\"'"
    })
    void aNumberThatIsNotInRangeIsRefusedNamingItsKey(String key, String value) throws IOException {
        IllegalArgumentException e = refused(with(sharedConfig("tiny-random-llama"), key, value));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void headsThatDoNotShareKvHeadsEvenlyAreRefused() throws IOException {
        IllegalArgumentException e = refused(with(minimal(), "num_key_value_heads", "3"));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
        e = refused(with(minimal(), "hidden_size", "66"));
        assertTrue(e.getMessage().contains("not divisible"), e.getMessage());
        // with head_dim given, hidden need not divide
        assertEquals(
                66,
                read(with(with(minimal(), "hidden_size", "66"), "head_dim", "8"))
                        .hiddenSize());
    }

    /** Llama-3.1's instruct configs list several end tokens. */
    @Test
    void aListOfEndTokensReadsItsFirst() throws IOException {
        assertEquals(7, read(with(minimal(), "eos_token_id", "[7, 9, 11]")).eosTokenId());
        assertTrue(refused(with(minimal(), "eos_token_id", "[]")).getMessage().contains("eos_token_id"));
        assertTrue(
                refused(with(minimal(), "eos_token_id", "[7.5]")).getMessage().contains("'eos_token_id'"));
    }

    private static final DecoderConfig SMALL = DecoderConfig.builder(ModelFamily.LLAMA)
            .shape(40, 16, 2, 4, 24)
            .kvHeads(2)
            .headDim(6)
            .maxPositions(16)
            .tieWordEmbeddings(true)
            .build();

    private static float[] values(DecoderModel m, java.util.function.Function<DecoderModel, ai.djl.ndarray.NDArray> w) {
        return w.apply(m).toFloatArray();
    }

    /** A tied checkpoint may still carry lm_head.weight (some writers save it); the head is the embedding. */
    @Test
    void aTiedCheckpointsStrayLmHeadIsIgnored() {
        Map<String, Tensor> tensors = new LinkedHashMap<>(RandomCheckpoint.stateDict(SMALL, 5));
        float[] stray = new float[40 * 16];
        java.util.Arrays.fill(stray, 7f);
        tensors.put("lm_head.weight", new Tensor(stray, new long[] {40, 16}));
        RandomCheckpoint.write(dir, SMALL, tensors);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(dir, m, Device.cpu())) {
            float[] embedding = tensors.get("model.embed_tokens.weight").values();
            assertArrayEquals(embedding, values(model, x -> x.weights().lmHead()));
        }
    }

    /** Saved from LlamaModel rather than LlamaForCausalLM: the same tensors without "model.". */
    @Test
    void namesWithAndWithoutTheModelPrefixLoadAlike() {
        Map<String, Tensor> prefixed = RandomCheckpoint.stateDict(SMALL, 6);
        Map<String, Tensor> bare = new LinkedHashMap<>();
        prefixed.forEach((name, t) -> bare.put(name.startsWith("model.") ? name.substring(6) : name, t));
        assertTrue(bare.containsKey("embed_tokens.weight") && bare.containsKey("layers.1.mlp.up_proj.weight"));
        Path a = dir.resolve("prefixed");
        Path b = dir.resolve("bare");
        RandomCheckpoint.write(a, SMALL, prefixed);
        RandomCheckpoint.write(b, SMALL, bare);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel x = ModelCheckpoint.load(a, m, Device.cpu());
                DecoderModel y = ModelCheckpoint.load(b, m, Device.cpu())) {
            for (java.util.function.Function<DecoderModel, ai.djl.ndarray.NDArray> w :
                    java.util.List.<java.util.function.Function<DecoderModel, ai.djl.ndarray.NDArray>>of(
                            d -> d.weights().tokenEmbedding(),
                            d -> d.weights().finalNormWeight(),
                            d -> d.weights().layers().get(1).qkvWeight(),
                            d -> d.weights().layers().get(1).fc1Weight(),
                            d -> d.weights().layers().get(1).fc2Weight())) {
                assertArrayEquals(values(x, w), values(y, w));
            }
            // gate row then up row per neuron, from the files' own matrices
            float[] gate = prefixed.get("model.layers.1.mlp.gate_proj.weight").values();
            float[] up = prefixed.get("model.layers.1.mlp.up_proj.weight").values();
            float[] in = values(y, d -> d.weights().layers().get(1).fc1Weight());
            assertEquals(gate[5 * 16 + 3], in[5 * 32 + 3]);
            assertEquals(up[5 * 16 + 3], in[5 * 32 + 16 + 3]);
        }
    }
}
