package org.shadowllm.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.sparse.SparsityBudget;

class PairSpecTest {
    private static BenchResult.Series series(Method m, String criterion, String scope, double sparsity) {
        return series(m, criterion, scope, sparsity, SparsityBudget.Prune.BOTH);
    }

    private static BenchResult.Series series(
            Method m, String criterion, String scope, double sparsity, SparsityBudget.Prune prune) {
        return new BenchResult.Series(
                m, m.key(), criterion, new SparsityBudget(sparsity, SparsityBudget.Scope.parse(scope), 1, 1, prune));
    }

    @Test
    void aPairIsWrittenAColonBAndRefusedOtherwise() {
        assertEquals(new PairSpec(Method.SHADOWLLM, Method.DEJAVU), PairSpec.parse(" shadowllm:DejaVu "));
        assertEquals(
                "static@fisher:static@plainact",
                PairSpec.parse("static@fisher:static@PLAINACT").toString());
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("static@fisher:static@global"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("static@magic:static@plainact"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("shadowllm"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("shadowllm:dejavu:static"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("static:static"));
        assertThrows(IllegalArgumentException.class, () -> PairSpec.parse("static@global:static"));
        assertEquals(
                "static@global:static@per-layer",
                PairSpec.parse("static@GLOBAL:static@per-layer").toString());
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
        var shadow = series(Method.SHADOWLLM, "plainact", "per-layer", 0.5);
        assertTrue(s.pairs(shadow, series(Method.STATIC, "plainact", "per-layer", 0.5)));
        assertFalse(s.pairs(shadow, series(Method.STATIC, "plainact", "per-layer", 0.7)));
        assertFalse(s.pairs(shadow, series(Method.STATIC, "plainact", "global", 0.5)));
        assertFalse(s.pairs(shadow, series(Method.STATIC, "fisher", "per-layer", 0.5)));
        assertFalse(s.pairs(series(Method.STATIC, "plainact", "per-layer", 0.5), shadow), "A is shadowllm");
        assertTrue(PairSpec.parse("random:static")
                .pairs(series(Method.RANDOM, "", "per-layer", 0.5), series(Method.STATIC, "fisher", "per-layer", 0.5)));
        assertTrue(PairSpec.parse("shadowllm:dense").pairs(shadow, series(Method.DENSE, "", "per-layer", 0)));
    }

    @Test
    void sidesNamingCriteriaPairAcrossCriteriaAtTheSameBudget() {
        PairSpec s = PairSpec.parse("static@fisher:static@plainact");
        var fisher = series(Method.STATIC, "fisher", "per-layer", 0.5);
        assertTrue(s.pairs(fisher, series(Method.STATIC, "plainact", "per-layer", 0.5)));
        assertFalse(s.pairs(fisher, series(Method.STATIC, "fisher", "per-layer", 0.5)));
        assertFalse(s.pairs(fisher, series(Method.STATIC, "plainact", "global", 0.5)));
        assertFalse(s.pairs(
                series(Method.STATIC, "snip", "per-layer", 0.5), series(Method.STATIC, "plainact", "per-layer", 0.5)));
    }

    @Test
    void scopedSidesPairAcrossBudgetScopesAtTheSameSparsityAndPrunedUnits() {
        PairSpec s = PairSpec.parse("static@global:static@per-layer");
        var global = series(Method.STATIC, "plainact", "global", 0.5);
        assertTrue(s.pairs(global, series(Method.STATIC, "plainact", "per-layer", 0.5)));
        assertFalse(s.pairs(global, series(Method.STATIC, "plainact", "global", 0.5)));
        assertFalse(s.pairs(global, series(Method.STATIC, "plainact", "per-layer", 0.7)));
        assertFalse(s.pairs(global, series(Method.STATIC, "plainact", "per-layer", 0.5, SparsityBudget.Prune.HEADS)));
        assertTrue(s.pairs(
                series(Method.STATIC, "fisher", "global", 0.5, SparsityBudget.Prune.HEADS),
                series(Method.STATIC, "fisher", "per-layer", 0.5, SparsityBudget.Prune.HEADS)));
    }
}
