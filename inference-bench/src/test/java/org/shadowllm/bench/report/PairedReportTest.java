package org.shadowllm.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.eval.ExampleScore;
import org.shadowllm.bench.eval.PairedComparison;
import org.shadowllm.bench.eval.TextScore;
import org.shadowllm.bench.method.Method;
import org.shadowllm.common.tasks.FewShotTask;

/** Comparisons as rows, and the report's section of paired verdicts. */
class PairedReportTest {
    private static org.shadowllm.bench.sparse.SparsityBudget budget(double sparsity) {
        return new org.shadowllm.bench.sparse.SparsityBudget(
                sparsity, org.shadowllm.bench.sparse.SparsityBudget.Scope.PER_LAYER, 1, 1);
    }

    private static final BenchResult.Series DENSE = new BenchResult.Series(Method.DENSE, "dense", "", budget(0));
    private static final BenchResult.Series STATIC =
            new BenchResult.Series(Method.STATIC, "static", "plainact", budget(0.5));
    private static final BenchResult.Series RANDOM = new BenchResult.Series(Method.RANDOM, "random", "", budget(0.5));

    private static List<TextScore> windows(double perToken, double spread) {
        List<TextScore> out = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            out.add(new TextScore(i, 100 * (perToken + spread * Math.sin(i)), 100));
        }
        return out;
    }

    private static List<ExampleScore> examples(int right, int n) {
        List<ExampleScore> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ExampleScore(FewShotTask.PIQA, i, "ex" + i, i < right, i < right, -1, i < right ? -1 : -3));
        }
        return out;
    }

    private static List<Comparison> comparisons() {
        List<TextScore> dense = windows(3.0, 1.0);
        List<TextScore> stat = windows(3.05, 1.0);
        List<TextScore> rand = windows(3.5, 1.2);
        return List.of(
                new Comparison(
                        STATIC, DENSE, Metric.PERPLEXITY, "wikitext-2", PairedComparison.perplexity(stat, dense, 1)),
                new Comparison(
                        STATIC, RANDOM, Metric.PERPLEXITY, "wikitext-2", PairedComparison.perplexity(stat, rand, 1)),
                new Comparison(
                        STATIC,
                        RANDOM,
                        Metric.ACC,
                        Comparison.ALL_TASKS,
                        PairedComparison.accuracy(examples(40, 50), examples(20, 50), ExampleScore::correct)));
    }

    @Test
    void aComparisonRowCarriesItsStatisticsAndVerdict() {
        List<Comparison> c = comparisons();
        assertEquals(PairedComparison.Verdict.WORSE, c.get(0).verdict(), "static loses 0.05 nats a token to dense");
        assertEquals(Math.exp(0.05), c.get(0).value(), 1e-9);
        assertTrue(c.get(0).low() > 1);
        assertTrue(Double.isNaN(c.get(0).p()));
        assertNull(c.get(0).aOnly());
        assertEquals(PairedComparison.Ratio.RULE, c.get(0).rule());
        assertEquals(PairedComparison.Verdict.BETTER, c.get(2).verdict());
        assertEquals(20, c.get(2).aOnly());
        assertEquals(0, c.get(2).bOnly());
        assertEquals(PairedComparison.mcnemar(20, 0), c.get(2).p());
        assertEquals(0.4, c.get(2).value(), 1e-12);
        assertEquals(PairedComparison.Difference.RULE, c.get(2).rule());
    }

    @Test
    void aRatioIsNotAnAccuracyComparisonNorADifferenceAPerplexityOne() {
        PairedComparison.Paired ratio = comparisons().get(0).result();
        PairedComparison.Paired difference = comparisons().get(2).result();
        assertThrows(IllegalArgumentException.class, () -> new Comparison(STATIC, DENSE, Metric.ACC, "piqa", ratio));
        assertThrows(
                IllegalArgumentException.class,
                () -> new Comparison(STATIC, DENSE, Metric.PERPLEXITY, "wikitext-2", difference));
        assertThrows(
                IllegalArgumentException.class,
                () -> new Comparison(STATIC, DENSE, Metric.KEPT_HEADS, "layer-1", ratio));
    }

    @Test
    void theReportShowsEachPairsVerdictRuleAndARatioPlot(@TempDir Path dir) throws Exception {
        List<BenchResult> results = List.of(new BenchResult(
                DENSE,
                BenchResult.Achieved.UNTRACKED,
                Metric.PERPLEXITY,
                "wikitext-2",
                6000,
                Bootstrap.perplexity(new double[] {3, 4}, new double[] {1, 1}, 1)));
        Path plain = dir.resolve("plain.html");
        Path none = dir.resolve("none.html");
        Path paired = dir.resolve("paired.html");
        HtmlReport.write(plain, "bench", Map.of("model", "tiny"), results);
        HtmlReport.write(none, "bench", Map.of("model", "tiny"), results, List.of());
        HtmlReport.write(paired, "bench", Map.of("model", "tiny"), results, comparisons());
        String without = Files.readString(plain);
        assertEquals(without, Files.readString(none), "the old signature is the report without comparisons");
        assertFalse(without.contains("Paired comparisons"));

        String with = Files.readString(paired);
        assertTrue(with.contains("Paired comparisons"));
        assertEquals(images(without) + 1, images(with), "one plot of the ratios");
        assertTrue(with.contains("Paired perplexity ratios"));
        for (Comparison c : comparisons()) {
            assertTrue(
                    with.contains("<b>" + c.verdict().key() + "</b>"),
                    c.verdict().key());
        }
        assertTrue(with.contains(esc(PairedComparison.Ratio.RULE)));
        assertTrue(with.contains(esc(PairedComparison.Difference.RULE)));
        assertTrue(with.contains(String.format(
                "%.4f – %.4f", comparisons().get(0).low(), comparisons().get(0).high())));
        assertTrue(with.contains(esc(STATIC.label()) + " @ 0.50"), "A named with its sparsity");
    }

    private static int images(String html) {
        return html.split("<img ", -1).length - 1;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    @Test
    void anItemScoreHoldsTheScoresOfItsKindOnly() {
        ItemScore.Text text = new ItemScore.Text(30, 12, 12);
        ItemScore.Choice choice = new ItemScore.Choice(true, false, -2, -2);
        assertThrows(
                IllegalArgumentException.class,
                () -> new ItemScore(ItemScore.Kind.EXAMPLE, "piqa", "ex0", text, choice));
        assertThrows(
                IllegalArgumentException.class,
                () -> new ItemScore(ItemScore.Kind.WINDOW, "wikitext-2", "0", null, choice));
        assertThrows(
                IllegalArgumentException.class,
                () -> new ItemScore(ItemScore.Kind.WINDOW, "wikitext-2", "0", new ItemScore.Text(30, 20, 12), null));
        assertThrows(IllegalArgumentException.class, () -> new ItemScore.Choice(true, true, -1, -2));
        assertThrows(IllegalArgumentException.class, () -> new ItemScore.Choice(false, true, -3, -2));
        assertEquals("document", ItemScore.Kind.DOCUMENT.key());
    }
}
