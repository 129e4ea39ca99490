package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.common.predictor.PredictorPrecision;

/**
 * The table a bench run prints and writes to {@code summary.txt}: per method configuration and sparsity,
 * perplexities, mean accuracies over tasks, decode time and its ratio to dense; and the precision of the
 * predictors' weights.
 */
record BenchSummary(
        String model, int results, double seconds, String output, List<Line> lines, PredictorPrecision predictors) {

    /**
     * One configuration's figures; NaN where not measured.
     *
     * @param perplexity   its value and 95% interval
     * @param meanAccuracy the mean of the tasks' acc
     * @param vsDense      decode time over dense's
     */
    record Line(
            String series,
            double sparsity,
            Bootstrap.Interval perplexity,
            double paperPerplexity,
            double decodePerplexity,
            double meanAccuracy,
            double decodeAccuracy,
            double msPerToken,
            double vsDense) {}

    /** What one configuration's rows add up to, as they come. */
    private static final class Tally {
        Bootstrap.Interval perplexity = BenchResult.exact(Double.NaN);
        double paperPerplexity = Double.NaN;
        double decodePerplexity = Double.NaN;
        double accSum;
        int accCount;
        double decodeAccSum;
        int decodeAccCount;
        double msPerToken = Double.NaN;

        void add(BenchResult r) {
            switch (r.measure()) {
                case PERPLEXITY -> perplexity = r.estimate();
                case PERPLEXITY_PAPER -> paperPerplexity = r.value();
                case DECODE_PERPLEXITY -> decodePerplexity = r.value();
                case ACC -> {
                    accSum += r.value();
                    accCount++;
                }
                case DECODE_ACC -> {
                    decodeAccSum += r.value();
                    decodeAccCount++;
                }
                case DECODE_MS_PER_TOKEN -> msPerToken = r.value();
                default -> {}
            }
        }

        Line line(String series, double sparsity, double denseMsPerToken) {
            return new Line(
                    series,
                    sparsity,
                    perplexity,
                    paperPerplexity,
                    decodePerplexity,
                    accCount > 0 ? accSum / accCount : Double.NaN,
                    decodeAccCount > 0 ? decodeAccSum / decodeAccCount : Double.NaN,
                    msPerToken,
                    msPerToken / denseMsPerToken);
        }
    }

    static BenchSummary of(
            String model, List<BenchResult> results, double seconds, String output, PredictorPrecision predictors) {
        Map<String, Map<Double, Tally>> tallies = new LinkedHashMap<>();
        double denseMs = Double.NaN;
        for (BenchResult r : results) {
            tallies.computeIfAbsent(r.series().label(), k -> new TreeMap<>())
                    .computeIfAbsent(r.sparsity(), k -> new Tally())
                    .add(r);
            if (r.series().kind() == Method.DENSE && r.measure() == Metric.DECODE_MS_PER_TOKEN) {
                denseMs = r.value();
            }
        }
        List<Line> lines = new ArrayList<>();
        for (Map.Entry<String, Map<Double, Tally>> e : tallies.entrySet()) {
            for (Map.Entry<Double, Tally> p : e.getValue().entrySet()) {
                lines.add(p.getValue().line(e.getKey(), p.getKey(), denseMs));
            }
        }
        return new BenchSummary(model, results.size(), seconds, output, lines, predictors);
    }

    String text() {
        StringBuilder b = new StringBuilder(
                String.format("bench %s: %d results in %.1f s -> %s%n", model, results, seconds, output));
        b.append(String.format("predictor weights: %s%n", predictors.key()));
        b.append(String.format(
                "%-44s %6s %10s %19s %10s %10s %8s %10s %9s %8s%n",
                "method",
                "spars.",
                "perplexity",
                "95% interval",
                "paper ppl",
                "decode ppl",
                "mean acc",
                "decode acc",
                "ms/token",
                "vs dense"));
        for (Line l : lines) {
            b.append(String.format(
                    "%-44s %6.2f %10.3f %19s %10.3f %10.3f %8.4f %10.4f %9.3f %8.3f%n",
                    l.series(),
                    l.sparsity(),
                    l.perplexity().value(),
                    Double.isNaN(l.perplexity().low())
                            ? ""
                            : String.format(
                                    "%.2f-%.2f",
                                    l.perplexity().low(), l.perplexity().high()),
                    l.paperPerplexity(),
                    l.decodePerplexity(),
                    l.meanAccuracy(),
                    l.decodeAccuracy(),
                    l.msPerToken(),
                    l.vsDense()));
        }
        return b.toString();
    }
}
