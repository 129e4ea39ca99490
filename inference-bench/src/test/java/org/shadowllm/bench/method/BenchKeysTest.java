package org.shadowllm.bench.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.sparse.SparsityBudget.Prune;
import org.shadowllm.bench.sparse.SparsityBudget.Scope;

/** The bench's keyed enums: their keys, the old spellings they still take, and the errors that list the keys. */
class BenchKeysTest {
    @Test
    void theKeysAreTheSpellingsOfTheBenchResultsAndOptions() {
        assertEquals(
                List.of("dense", "static", "random", "dejavu", "shadowllm", "oracle"),
                Arrays.stream(Method.values()).map(Method::key).toList());
        assertEquals(
                List.of("global", "per-layer", "global-raw"),
                Arrays.stream(Scope.values()).map(Scope::key).toList());
        assertEquals(
                List.of("heads", "neurons", "both"),
                Arrays.stream(Prune.values()).map(Prune::key).toList());
        assertEquals(
                List.of("fp32", "bf16"),
                Arrays.stream(WeightFormat.values()).map(WeightFormat::key).toList());
    }

    @Test
    void keysParseTrimmedInAnyCaseAndTheOldSpellingsStillParse() {
        for (Method m : Method.values()) {
            assertSame(m, Method.parse(" " + m.key().toUpperCase(java.util.Locale.ROOT)));
        }
        assertSame(Scope.PER_LAYER, Scope.parse("per_layer"));
        assertSame(Scope.PER_LAYER, Scope.parse("Layer"));
        assertSame(Scope.GLOBAL_RAW, Scope.parse("global_raw "));
        assertSame(Prune.NEURONS, Prune.parse("NEURONS"));
        assertSame(WeightFormat.FP32, WeightFormat.parse("float32"));
        assertSame(WeightFormat.BF16, WeightFormat.parse(" BFloat16"));
        assertSame(WeightFormat.BF16, WeightFormat.parse("bf16"));
    }

    @Test
    void anUnknownKeyIsRefusedListingTheKeys() {
        assertEquals(
                "unknown scope 'layerwise'; expected global, per-layer or global-raw",
                assertThrows(IllegalArgumentException.class, () -> Scope.parse("layerwise"))
                        .getMessage());
        assertEquals(
                "unknown prune 'mlp'; expected heads, neurons or both",
                assertThrows(IllegalArgumentException.class, () -> Prune.parse("mlp"))
                        .getMessage());
        assertEquals(
                "unknown method 'sparse'; expected dense, static, random, dejavu, shadowllm or oracle",
                assertThrows(IllegalArgumentException.class, () -> Method.parse("sparse"))
                        .getMessage());
        assertEquals(
                "unknown weight format 'fp8'; expected fp32 or bf16",
                assertThrows(IllegalArgumentException.class, () -> WeightFormat.parse("fp8"))
                        .getMessage());
    }
}
