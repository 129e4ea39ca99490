package org.shadowllm.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.eval.PairedComparison.Verdict;
import org.shadowllm.common.tasks.FewShotTask;

class PairedComparisonTest {
    private static final int TOKENS = 112;

    /** Window NLLs whose per-token loss varies widely between windows (2 to 6 nats). */
    private static double[] widelyVaryingWindows(int n, SplittableRandom r) {
        double[] nll = new double[n];
        for (int i = 0; i < n; i++) {
            nll[i] = TOKENS * (2 + 4 * r.nextDouble());
        }
        return nll;
    }

    private static List<TextScore> windows(double[] nll) {
        List<TextScore> out = new ArrayList<>();
        for (int i = 0; i < nll.length; i++) {
            out.add(new TextScore(i, nll[i], TOKENS));
        }
        return out;
    }

    private static double[] units(int n) {
        double[] u = new double[n];
        java.util.Arrays.fill(u, TOKENS);
        return u;
    }

    @Test
    void aSmallLossGapOnEveryWindowIsResolvedPairedThoughTheUnpairedIntervalsOverlap() {
        SplittableRandom r = new SplittableRandom(11);
        int n = 200;
        double[] a = widelyVaryingWindows(n, r);
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            // B loses 0.01 nats per token more than A on every window, give or take a little
            b[i] = a[i] + TOKENS * (0.01 + 0.005 * r.nextGaussian());
        }
        Bootstrap.Interval pplA = Bootstrap.perplexity(a, units(n), 5);
        Bootstrap.Interval pplB = Bootstrap.perplexity(b, units(n), 5);
        assertTrue(pplA.high() > pplB.low() && pplB.high() > pplA.low(), "unpaired: " + pplA + " and " + pplB);

        PairedComparison.Ratio ab = PairedComparison.perplexity(windows(a), windows(b), 5);
        assertEquals(n, ab.items());
        assertEquals(pplA.value() / pplB.value(), ab.value(), 1e-12);
        assertTrue(ab.low() < ab.value() && ab.value() < ab.high() && ab.high() < 1, ab.toString());
        assertEquals(Verdict.BETTER, ab.verdict());

        PairedComparison.Ratio ba = PairedComparison.perplexity(windows(b), windows(a), 5);
        assertTrue(ba.low() > 1, ba.toString());
        assertEquals(Verdict.WORSE, ba.verdict());
        assertEquals("worse", ba.verdict().key());
    }

    @Test
    void identicalMethodsHaveARatioOfExactlyOneAndTie() {
        double[] a = widelyVaryingWindows(50, new SplittableRandom(3));
        PairedComparison.Ratio same = PairedComparison.perplexity(windows(a), windows(a.clone()), 9);
        assertEquals(1.0, same.value());
        assertTrue(same.low() <= 1 && 1 <= same.high(), same.toString());
        assertEquals(Verdict.TIE, same.verdict());
    }

    @Test
    void theRatioIsTheSameWhateverOrderTheItemsComeIn() {
        SplittableRandom r = new SplittableRandom(8);
        double[] a = widelyVaryingWindows(40, r);
        double[] b = widelyVaryingWindows(40, r);
        List<TextScore> shuffled = windows(b);
        Collections.shuffle(shuffled, new Random(1));
        assertEquals(
                PairedComparison.perplexity(windows(a), windows(b), 2),
                PairedComparison.perplexity(windows(a), shuffled, 2));
    }

    @Test
    void aSingleItemGivesNoIntervalAndATie() {
        PairedComparison.Ratio one =
                PairedComparison.perplexity(List.of(new TextScore(0, 100, 50)), List.of(new TextScore(0, 150, 50)), 1);
        assertEquals(Math.exp(-1), one.value(), 1e-15);
        assertTrue(Double.isNaN(one.low()) && Double.isNaN(one.high()));
        assertEquals(Verdict.TIE, one.verdict());
    }

    @Test
    void unpairedWindowsAreRefused() {
        double[] a = widelyVaryingWindows(5, new SplittableRandom(4));
        List<TextScore> base = windows(a);
        List<TextScore> fewer = base.subList(0, 4);
        List<TextScore> shifted = base.stream()
                .map(t -> new TextScore(t.index() + 1, t.nll(), t.units()))
                .toList();
        List<TextScore> otherUnits = base.stream()
                .map(t -> new TextScore(t.index(), t.nll(), t.units() + 1))
                .toList();
        List<TextScore> twice = new ArrayList<>(fewer);
        twice.add(base.get(0));
        for (List<TextScore> b : List.of(fewer, shifted, otherUnits)) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> PairedComparison.perplexity(base, b, 1));
            assertTrue(e.getMessage().contains("items") || e.getMessage().contains("pair"), e.getMessage());
        }
        IllegalArgumentException dup =
                assertThrows(IllegalArgumentException.class, () -> PairedComparison.perplexity(twice, twice, 1));
        assertTrue(dup.getMessage().contains("twice"), dup.getMessage());
    }

    @Test
    void mcnemarMatchesHandComputedCases() {
        // b = 1, c = 9: 2 · (C(10,0) + C(10,1)) / 2^10
        assertEquals(0.021484375, PairedComparison.mcnemar(1, 9), 1e-15);
        assertEquals(0.021484375, PairedComparison.mcnemar(9, 1), 1e-15);
        // b = 0, c = 5: 2 / 32
        assertEquals(0.0625, PairedComparison.mcnemar(0, 5), 1e-15);
        assertEquals(1.0, PairedComparison.mcnemar(7, 7));
        assertEquals(1.0, PairedComparison.mcnemar(0, 0));
        assertEquals(1.0, PairedComparison.mcnemar(4, 5), "2 · P(X ≤ 4) > 1 for X ~ Binomial(9, ½)");
    }

    @Test
    void mcnemarOfLargeCountsMatchesTheExactBinomialSum() {
        int[][] cases = {{480, 560}, {1400, 1600}, {5000, 5200}, {0, 40}, {3, 2000}, {20000, 20400}};
        for (int[] bc : cases) {
            double expected = exactMcNemar(bc[0], bc[1]);
            double actual = PairedComparison.mcnemar(bc[0], bc[1]);
            assertEquals(expected, actual, 1e-9 * expected, bc[0] + ", " + bc[1]);
        }
        assertTrue(PairedComparison.mcnemar(1400, 1600) < 1e-3, "2^3000 overflows a double; the test does not");
    }

    /** 2 · Σ_{k ≤ min(b,c)} C(b+c, k) / 2^(b+c), in exact integers, capped at 1. */
    private static double exactMcNemar(int b, int c) {
        int n = b + c;
        BigInteger binomial = BigInteger.ONE;
        BigInteger sum = BigInteger.ZERO;
        for (int k = 0; k <= Math.min(b, c); k++) {
            sum = sum.add(binomial);
            binomial = binomial.multiply(BigInteger.valueOf(n - k)).divide(BigInteger.valueOf(k + 1));
        }
        BigDecimal p = new BigDecimal(sum.shiftLeft(1))
                .divide(new BigDecimal(BigInteger.ONE.shiftLeft(n)), MathContext.DECIMAL128);
        return Math.min(1, p.doubleValue());
    }

    /** Examples ex0.. of {@code task}: example i right by acc where {@code right[i]}, by acc_norm where not. */
    private static List<ExampleScore> examples(FewShotTask task, boolean[] right) {
        List<ExampleScore> out = new ArrayList<>();
        for (int i = 0; i < right.length; i++) {
            out.add(new ExampleScore(task, i, "ex" + i, right[i], !right[i], -1.0, right[i] ? -1.0 : -2.0));
        }
        return out;
    }

    @Test
    void accuracyDifferenceCountsTheDiscordantExamplesAndMcNemarDecides() {
        // 10 both right, 10 both wrong, 9 only A right, 1 only B right
        boolean[] a = new boolean[30];
        boolean[] b = new boolean[30];
        for (int i = 0; i < 30; i++) {
            a[i] = i < 10 || (i >= 20 && i < 29);
            b[i] = i < 10 || i == 29;
        }
        List<ExampleScore> ea = examples(FewShotTask.PIQA, a);
        List<ExampleScore> eb = examples(FewShotTask.PIQA, b);
        PairedComparison.Difference ab = PairedComparison.accuracy(ea, eb, ExampleScore::correct);
        assertEquals(30, ab.items());
        assertEquals(9, ab.aOnly());
        assertEquals(1, ab.bOnly());
        assertEquals(0.021484375, ab.p(), 1e-15);
        assertEquals(19 / 30.0 - 11 / 30.0, ab.value(), 1e-15);
        assertEquals(Verdict.BETTER, ab.verdict());
        assertTrue(Double.isNaN(ab.low()) && Double.isNaN(ab.high()));

        PairedComparison.Difference ba = PairedComparison.accuracy(eb, ea, ExampleScore::correct);
        assertEquals(Verdict.WORSE, ba.verdict());
        assertEquals(1, ba.aOnly());
        assertEquals(9, ba.bOnly());

        // acc_norm is marked the opposite way here: the same discordant pairs, B's side
        PairedComparison.Difference norm = PairedComparison.accuracy(ea, eb, ExampleScore::correctNorm);
        assertEquals(1, norm.aOnly());
        assertEquals(9, norm.bOnly());

        // shuffled B pairs by id all the same
        List<ExampleScore> shuffled = new ArrayList<>(eb);
        Collections.shuffle(shuffled, new Random(3));
        assertEquals(ab, PairedComparison.accuracy(ea, shuffled, ExampleScore::correct));
    }

    @Test
    void aFewDiscordantExamplesAreATie() {
        boolean[] a = {true, true, true, false, false, true};
        boolean[] b = {false, false, true, true, false, true};
        PairedComparison.Difference d = PairedComparison.accuracy(
                examples(FewShotTask.COPA, a), examples(FewShotTask.COPA, b), ExampleScore::correct);
        assertEquals(2, d.aOnly());
        assertEquals(1, d.bOnly());
        assertEquals(1.0, d.p());
        assertEquals(Verdict.TIE, d.verdict());
    }

    @Test
    void examplesOfSeveralTasksPairByTaskAndId() {
        List<ExampleScore> a = new ArrayList<>(examples(FewShotTask.PIQA, new boolean[] {true}));
        a.addAll(examples(FewShotTask.COPA, new boolean[] {false}));
        List<ExampleScore> b = new ArrayList<>(examples(FewShotTask.COPA, new boolean[] {true}));
        b.addAll(examples(FewShotTask.PIQA, new boolean[] {false}));
        PairedComparison.Difference pooled = PairedComparison.accuracy(a, b, ExampleScore::correct);
        assertEquals(2, pooled.items());
        assertEquals(1, pooled.aOnly());
        assertEquals(1, pooled.bOnly());
        assertEquals(0.0, pooled.value());
    }

    @Test
    void unpairedExamplesAreRefused() {
        List<ExampleScore> a = examples(FewShotTask.PIQA, new boolean[] {true, false, true});
        List<ExampleScore> otherTask = examples(FewShotTask.COPA, new boolean[] {true, false, true});
        List<ExampleScore> fewer = a.subList(0, 2);
        List<ExampleScore> twice = List.of(a.get(0), a.get(0), a.get(1));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> PairedComparison.accuracy(a, otherTask, ExampleScore::correct));
        assertTrue(e.getMessage().contains("do not pair"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PairedComparison.accuracy(a, fewer, ExampleScore::correct));
        assertThrows(IllegalArgumentException.class, () -> PairedComparison.accuracy(twice, a, ExampleScore::correct));
        assertThrows(IllegalArgumentException.class, () -> PairedComparison.accuracy(a, twice, ExampleScore::correct));
    }
}
