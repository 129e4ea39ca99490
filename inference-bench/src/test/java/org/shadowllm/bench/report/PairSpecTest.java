package org.shadowllm.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.method.Method;

class PairSpecTest {
    private static BenchResult.Series series(Method m, String criterion, String budget, double sparsity) {
        return new BenchResult.Series(m, m.key(), criterion, budget, sparsity);
    }

    @Test
    void aPairIsWrittenAColonBAndRefusedOtherwise() {
        assertEquals(new PairSpec(Method.SHADOWLLM, Method.DEJAVU), PairSpec.parse(" shadowllm:DejaVu "));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("shadowllm"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("shadowllm:dejavu:static"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("static:static"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("shadow:dense"));
        assertTrue(e.getMessage().contains("'shadow'"), e.getMessage());
    }

    @Test
    void theDefaultsCompareEverySparseMethodWithDenseEveryOtherWithStaticAndShadowLlmWithDejaVu() {
        List<String> keys = PairSpec.defaults().stream().map(PairSpec::toString).toList();
        assertEquals(
                List.of(
                        "static:dense",
                        "random:dense",
                        "dejavu:dense",
                        "shadowllm:dense",
                        "oracle:dense",
                        "random:static",
                        "dejavu:static",
                        "shadowllm:static",
                        "oracle:static",
                        "shadowllm:dejavu"),
                keys);
    }

    @Test
    void configurationsPairAtTheSameSparsityBudgetAndCriterionAndDenseWithAny() {
        PairSpec s = PairSpec.parse("shadowllm:static");
        var shadow = series(Method.SHADOWLLM, "plainact", "per-layer 0.5", 0.5);
        assertTrue(s.pairs(shadow, series(Method.STATIC, "plainact", "per-layer 0.5", 0.5)));
        assertFalse(s.pairs(shadow, series(Method.STATIC, "plainact", "per-layer 0.7", 0.7)));
        assertFalse(s.pairs(shadow, series(Method.STATIC, "plainact", "global 0.5", 0.5)));
        assertFalse(s.pairs(shadow, series(Method.STATIC, "fisher", "per-layer 0.5", 0.5)));
        assertFalse(s.pairs(series(Method.STATIC, "plainact", "per-layer 0.5", 0.5), shadow), "A is shadowllm");
        assertTrue(PairSpec.parse("random:static")
                .pairs(
                        series(Method.RANDOM, "", "per-layer 0.5", 0.5),
                        series(Method.STATIC, "fisher", "per-layer 0.5", 0.5)));
        assertTrue(PairSpec.parse("shadowllm:dense").pairs(shadow, series(Method.DENSE, "", "dense", 0)));
    }
}
