package org.shadowllm.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.SharedPaths;

class BootstrapAndWikiTextTest {
    @Test
    void perplexityIntervalIsReproducibleCoversTheEstimateAndMatchesTheDeltaMethod() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 400;
        double[] nll = new double[n];
        double[] units = new double[n];
        for (int i = 0; i < n; i++) {
            units[i] = 100 + r.nextInt(50);
            nll[i] = units[i] * (4 + r.nextGaussian() * 0.5);
        }
        Bootstrap.Interval a = Bootstrap.perplexity(nll, units, 1);
        assertEquals(a, Bootstrap.perplexity(nll, units, 1));
        assertTrue(a.low() < a.value() && a.value() < a.high(), a.toString());
        // delta method for exp(Σx/Σu): se ≈ ppl · sqrt(Σ (x_i − r u_i)²) / Σu
        double sx = 0;
        double su = 0;
        for (int i = 0; i < n; i++) {
            sx += nll[i];
            su += units[i];
        }
        double ratio = sx / su;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (nll[i] - ratio * units[i]) * (nll[i] - ratio * units[i]);
        }
        double delta = Math.exp(ratio) * Math.sqrt(ss) / su;
        assertEquals(delta, a.stderr(), 0.1 * delta);
        assertEquals(Math.exp(ratio), a.value(), 1e-9 * a.value());
    }

    @Test
    void itemsWithOneRatioGiveAnIntervalOfThatValueOnly() {
        Bootstrap.Interval a = Bootstrap.perplexity(new double[] {2, 4, 6}, new double[] {1, 2, 3}, 3);
        assertEquals(Math.exp(2), a.low(), 1e-9);
        assertEquals(Math.exp(2), a.high(), 1e-9);
    }

    @Test
    void accuracyStandardErrorIsTheHarnessSampleStandardDeviationOverRootN() {
        int[] outcomes = {1, 0, 0, 1, 1, 1, 0, 1};
        double mean = 5 / 8.0;
        double var = 0;
        for (int o : outcomes) {
            var += (o - mean) * (o - mean);
        }
        double se = Math.sqrt(var / 7) / Math.sqrt(8);
        assertEquals(se, Bootstrap.accuracy(mean, 8).stderr(), 1e-12);
    }

    @Test
    void detokenizerUndoesWikiTextSpacing() {
        assertEquals(
                "a well-known 1,000.5 m: x; y. z, w",
                WikiTextDocuments.detokenize("a well @-@ known 1 @,@ 000 @.@ 5 m : x ; y . z , w"));
        assertEquals(
                "(in brackets) \"quoted\" Teddy's ==== H ====\nnext",
                WikiTextDocuments.detokenize("( in brackets ) \" quoted \" Teddy 's = = = = H = = = = \n next"));
    }

    @Test
    void theTestSplitHasSixtyTwoArticlesAndTheirWordsAddUp() throws Exception {
        List<String> lines = Files.readAllLines(SharedPaths.root().resolve("data/wikitext-2-raw/test.txt"));
        List<String> articles = WikiTextDocuments.articles(lines);
        assertEquals(62, articles.size());
        assertTrue(articles.get(0).contains(" = Robert Boulter = \n"));
        assertEquals(String.join("\n", lines) + "\n", String.join("", articles));
        assertEquals(5, WikiTextDocuments.words(" a b\nc "), "as Python's re.split: empty ends count");
    }
}
