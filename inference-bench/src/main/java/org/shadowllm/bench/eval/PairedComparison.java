package org.shadowllm.bench.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.shadowllm.common.Keyed;

/**
 * Method A against method B on the same items: every method is scored on the same windows, documents
 * and examples, so the comparison pairs them item by item, and the item-to-item spread common to both
 * cancels. Perplexity: the ratio ppl(A)/ppl(B) with a paired percentile bootstrap interval. Accuracy:
 * the difference acc(A) − acc(B) with McNemar's exact test on the examples exactly one of them got right.
 */
public final class PairedComparison {
    /** McNemar's test and the ratio's interval decide at this level (two-sided). */
    public static final double ALPHA = 0.05;

    private PairedComparison() {}

    /** How A fares against B; {@link Paired#rule()} says how it was decided. */
    public enum Verdict implements Keyed {
        BETTER,
        WORSE,
        TIE;

        /** Its word in tables and the report. */
        @Override
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return key();
        }
    }

    /** A paired comparison of A against B over {@code items} items, with its verdict. */
    public sealed interface Paired extends Serializable permits Ratio, Difference {
        int items();

        /** The ratio A/B (perplexity) or the difference A − B (accuracy). */
        double value();

        /** The lower end of its paired 95% interval; NaN where none is estimated. */
        double low();

        double high();

        /** McNemar's exact two-sided p; NaN for a perplexity ratio. */
        double p();

        Verdict verdict();

        /** How {@link #verdict()} follows from the numbers. */
        String rule();
    }

    /**
     * ppl(A)/ppl(B) on the same items, with a paired percentile bootstrap interval; below 1, A is better.
     *
     * @param ratio the ratio, its bootstrap standard error and 95% interval
     */
    public record Ratio(int items, Bootstrap.Interval ratio) implements Paired {
        public static final String RULE = "better when the paired 95% interval of ppl(A)/ppl(B) lies wholly below 1, "
                + "worse when wholly above 1, else tie";

        public Ratio {
            if (items < 1 || ratio == null || !(ratio.value() >= 0)) {
                throw new IllegalArgumentException(
                        "a ratio needs items ≥ 1 and a value ≥ 0, got " + items + " items, " + ratio);
            }
        }

        @Override
        public double value() {
            return ratio.value();
        }

        @Override
        public double low() {
            return ratio.low();
        }

        @Override
        public double high() {
            return ratio.high();
        }

        @Override
        public double p() {
            return Double.NaN;
        }

        /** A single item gives no interval, hence a tie. */
        @Override
        public Verdict verdict() {
            if (ratio.high() < 1) {
                return Verdict.BETTER;
            }
            return ratio.low() > 1 ? Verdict.WORSE : Verdict.TIE;
        }

        @Override
        public String rule() {
            return RULE;
        }
    }

    /**
     * acc(A) − acc(B) on the same examples, tested by McNemar's exact test on the discordant examples.
     *
     * @param aOnly examples A got right and B wrong (McNemar's b)
     * @param bOnly examples B got right and A wrong (McNemar's c)
     * @param p     McNemar's exact two-sided p for {@code aOnly} against {@code bOnly}
     */
    public record Difference(int items, double value, int aOnly, int bOnly, double p) implements Paired {
        public static final String RULE = "better when McNemar's exact p < 0.05 and acc(A) − acc(B) > 0, "
                + "worse when p < 0.05 and acc(A) − acc(B) < 0, else tie";

        public Difference {
            if (items < 1 || aOnly < 0 || bOnly < 0 || aOnly + bOnly > items || !(Math.abs(value) <= 1)) {
                throw new IllegalArgumentException(String.format(
                        "a difference needs items ≥ 1, 0 ≤ b + c ≤ items and |value| ≤ 1, got %d items, b %d, c %d,"
                                + " value %s",
                        items, aOnly, bOnly, value));
            }
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("McNemar's p must lie in [0, 1], got " + p);
            }
        }

        /** No interval is estimated for a difference: the verdict is McNemar's. */
        @Override
        public double low() {
            return Double.NaN;
        }

        @Override
        public double high() {
            return Double.NaN;
        }

        @Override
        public Verdict verdict() {
            if (p >= ALPHA || value == 0) {
                return Verdict.TIE;
            }
            return value > 0 ? Verdict.BETTER : Verdict.WORSE;
        }

        @Override
        public String rule() {
            return RULE;
        }
    }

    /**
     * ppl(A)/ppl(B) = exp((Σ nll_A − Σ nll_B) / Σ units) over items scored by both, with a percentile
     * bootstrap interval: {@link Bootstrap#RESAMPLES} resamples of the items, seeded, each one the same
     * items for both methods. The items must pair: the same indices with the same units.
     */
    public static Ratio perplexity(List<TextScore> a, List<TextScore> b, long seed) {
        if (a.isEmpty() || a.size() != b.size()) {
            throw new IllegalArgumentException("a paired perplexity needs the same items for both methods, got "
                    + a.size() + " and " + b.size() + " items");
        }
        List<TextScore> as = sortedByIndex(a);
        List<TextScore> bs = sortedByIndex(b);
        int n = as.size();
        // per item: A's NLL minus B's, so the large NLLs common to both cancel before summing
        double[] gap = new double[n];
        double[] units = new double[n];
        for (int i = 0; i < n; i++) {
            TextScore x = as.get(i);
            TextScore y = bs.get(i);
            if (x.index() != y.index() || x.units() != y.units()) {
                throw new IllegalArgumentException(String.format(
                        "items do not pair: A's item %d (%s units) against B's item %d (%s units)",
                        x.index(), x.units(), y.index(), y.units()));
            }
            if (i > 0 && x.index() == as.get(i - 1).index()) {
                throw new IllegalArgumentException("item " + x.index() + " is scored twice");
            }
            gap[i] = x.nll() - y.nll();
            units[i] = x.units();
        }
        // exp(Σ gap / Σ units) is a perplexity of the gaps: the same bootstrap, on the same resampled items
        return new Ratio(n, Bootstrap.perplexity(gap, units, seed));
    }

    /**
     * acc(A) − acc(B) over the examples both scored, matched by task and id, with McNemar's exact test;
     * {@code correct} says which accuracy ({@link ExampleScore#correct} for acc, {@link
     * ExampleScore#correctNorm} for acc_norm). Examples of several tasks pool into one comparison.
     */
    public static Difference accuracy(List<ExampleScore> a, List<ExampleScore> b, Predicate<ExampleScore> correct) {
        if (a.isEmpty() || a.size() != b.size()) {
            throw new IllegalArgumentException("a paired accuracy needs the same examples for both methods, got "
                    + a.size() + " and " + b.size() + " examples");
        }
        Map<String, ExampleScore> byKey = new HashMap<>();
        for (ExampleScore e : b) {
            if (byKey.put(key(e), e) != null) {
                throw new IllegalArgumentException("B scores " + e.task().key() + " example " + e.id() + " twice");
            }
        }
        int rightA = 0;
        int rightB = 0;
        int aOnly = 0;
        int bOnly = 0;
        for (ExampleScore x : a) {
            ExampleScore y = byKey.remove(key(x));
            if (y == null) {
                throw new IllegalArgumentException("examples do not pair: B did not score "
                        + x.task().key() + " example " + x.id() + " (or A scores it twice)");
            }
            boolean ra = correct.test(x);
            boolean rb = correct.test(y);
            rightA += ra ? 1 : 0;
            rightB += rb ? 1 : 0;
            aOnly += ra && !rb ? 1 : 0;
            bOnly += rb && !ra ? 1 : 0;
        }
        int n = a.size();
        return new Difference(n, rightA / (double) n - rightB / (double) n, aOnly, bOnly, mcnemar(aOnly, bOnly));
    }

    /**
     * McNemar's exact two-sided p for {@code b} and {@code c} discordant pairs: under no difference b is
     * Binomial(b + c, ½), so p = min(1, 2 · Σ_{k ≤ min(b, c)} C(b + c, k) / 2^(b + c)), and 1 when b + c = 0.
     * Summed relative to the largest term in log space, so that 2^(b + c) never over- or underflows.
     */
    public static double mcnemar(int b, int c) {
        if (b < 0 || c < 0) {
            throw new IllegalArgumentException("discordant counts must be ≥ 0, got " + b + " and " + c);
        }
        int n = b + c;
        int m = Math.min(b, c);
        if (n == 0) {
            return 1;
        }
        // k ≤ m ≤ n/2: C(n, k) grows with k, so C(n, m) is the largest term; the others are its multiples below 1
        double logLargest = -n * Math.log(2);
        for (int i = 1; i <= m; i++) {
            logLargest += Math.log((n - m + i) / (double) i);
        }
        double relative = 1;
        double term = 1;
        for (int k = m; k > 0; k--) {
            term *= k / (double) (n - k + 1); // C(n, k−1) / C(n, k)
            relative += term;
            if (term < 1e-17 * relative) {
                break;
            }
        }
        return Math.min(1, 2 * Math.exp(logLargest) * relative);
    }

    private static String key(ExampleScore e) {
        return e.task().key() + "\u0000" + e.id();
    }

    private static List<TextScore> sortedByIndex(List<TextScore> items) {
        List<TextScore> out = new ArrayList<>(items);
        out.sort(Comparator.comparingInt(TextScore::index));
        return out;
    }
}
