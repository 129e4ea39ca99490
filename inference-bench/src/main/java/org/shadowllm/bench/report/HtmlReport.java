package org.shadowllm.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.shadowllm.bench.eval.PairedComparison;
import org.shadowllm.bench.method.Method;

/**
 * A self-contained HTML report: PNG plots drawn by XChart, embedded as data URIs, and every result in a
 * table. Plots: perplexity against sparsity per method, accuracy per task per method at each
 * sparsity, and decode latency against sparsity; with paired comparisons, their perplexity ratios with
 * their paired intervals, and every comparison with its verdict in a table.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** The report without paired comparisons. */
    public static void write(Path file, String title, Map<String, String> about, List<BenchResult> results) {
        write(file, title, about, results, List.of());
    }

    public static void write(
            Path file,
            String title,
            Map<String, String> about,
            List<BenchResult> results,
            List<Comparison> comparisons) {
        System.setProperty("java.awt.headless", "true");
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
                .append(esc(title))
                .append("</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}"
                        + "td:first-child,td:nth-child(2),td:nth-child(3),td:nth-child(7),td:nth-child(8){text-align:left}"
                        + "</style></head><body>");
        html.append("<h1>").append(esc(title)).append("</h1><table>");
        about.forEach((k, v) -> html.append("<tr><th>")
                .append(esc(k))
                .append("</th><td style=\"text-align:left\">")
                .append(esc(v))
                .append("</td></tr>"));
        html.append("</table>");
        List<Chart<?, ?>> charts = new ArrayList<>();
        XYChart ppl = lines(
                "Perplexity on WikiText-2 against sparsity", "perplexity", results, Metric.PERPLEXITY, "wikitext-2");
        if (ppl != null) {
            charts.add(ppl);
        }
        XYChart paper = lines(
                "Word perplexity on WikiText-2, paper protocol (the mask sees the scored window)",
                "word perplexity",
                results,
                Metric.PERPLEXITY_PAPER,
                "wikitext-2");
        if (paper != null) {
            charts.add(paper);
        }
        charts.addAll(accuracy(results));
        XYChart latency = lines(
                "Decode time per token against sparsity",
                "ms per token",
                results,
                Metric.DECODE_MS_PER_TOKEN,
                "generation");
        if (latency != null) {
            charts.add(latency);
        }
        for (Chart<?, ?> c : charts) {
            html.append("<h2>")
                    .append(esc(c.getTitle()))
                    .append("</h2><img alt=\"")
                    .append(esc(c.getTitle()))
                    .append("\" src=\"data:image/png;base64,")
                    .append(png(c))
                    .append("\">");
        }
        if (!comparisons.isEmpty()) {
            paired(html, comparisons);
        }
        html.append("<h2>All results</h2><table><tr><th>method</th><th>criterion</th><th>budget</th><th>sparsity</th>"
                + "<th>head sparsity</th><th>neuron sparsity</th><th>measure</th><th>task</th><th>value</th>"
                + "<th>95% interval</th><th>count</th></tr>");
        for (BenchResult r : results) {
            html.append(String.format(
                    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%.2f</td><td>%.3f</td><td>%.3f</td>"
                            + "<td>%s</td><td>%s</td><td>%.4f</td><td>%s</td><td>%d</td></tr>",
                    esc(r.method()),
                    esc(r.criterion()),
                    esc(r.budget()),
                    r.sparsity(),
                    r.headSparsity(),
                    r.neuronSparsity(),
                    esc(r.measure().key()),
                    esc(r.task()),
                    r.value(),
                    Double.isNaN(r.ciLow()) ? "" : String.format("%.4f – %.4f", r.ciLow(), r.ciHigh()),
                    r.count()));
        }
        html.append("</table></body></html>\n");
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(tmp, html, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * The paired comparisons: the ratios' plot, numbered as the table's rows, then every comparison with
     * its paired interval or McNemar test, its verdict and the rule behind it.
     */
    private static void paired(StringBuilder html, List<Comparison> comparisons) {
        html.append("<h2>Paired comparisons (A against B on the same items)</h2><p>")
                .append(esc("Perplexity: " + PairedComparison.Ratio.RULE + ". Accuracy: "
                        + PairedComparison.Difference.RULE + "."))
                .append("</p>");
        CategoryChart ratios = ratios(comparisons);
        if (ratios != null) {
            html.append("<h3>")
                    .append(esc(ratios.getTitle()))
                    .append("</h3><img alt=\"")
                    .append(esc(ratios.getTitle()))
                    .append("\" src=\"data:image/png;base64,")
                    .append(png(ratios))
                    .append("\">");
        }
        String left = "<td style=\"text-align:left\">";
        String right = "<td style=\"text-align:right\">";
        html.append("<table><tr><th>#</th><th>A</th><th>B</th><th>measure</th><th>task</th><th>items</th>"
                + "<th>A/B or A − B</th><th>paired 95% interval</th><th>McNemar b</th><th>McNemar c</th>"
                + "<th>McNemar p</th><th>verdict</th><th>rule</th></tr>");
        for (int i = 0; i < comparisons.size(); i++) {
            Comparison c = comparisons.get(i);
            html.append("<tr>")
                    .append(right)
                    .append(i + 1)
                    .append("</td>")
                    .append(left)
                    .append(esc(atSparsity(c.a())))
                    .append("</td>")
                    .append(left)
                    .append(esc(atSparsity(c.b())))
                    .append("</td>")
                    .append(left)
                    .append(esc(c.metric().key()))
                    .append("</td>")
                    .append(left)
                    .append(esc(c.task()))
                    .append("</td>")
                    .append(right)
                    .append(c.items())
                    .append("</td>")
                    .append(right)
                    .append(String.format("%.4f", c.value()))
                    .append("</td>")
                    .append(right)
                    .append(Double.isNaN(c.low()) ? "" : String.format("%.4f – %.4f", c.low(), c.high()))
                    .append("</td>")
                    .append(right)
                    .append(c.aOnly() == null ? "" : c.aOnly().toString())
                    .append("</td>")
                    .append(right)
                    .append(c.bOnly() == null ? "" : c.bOnly().toString())
                    .append("</td>")
                    .append(right)
                    .append(Double.isNaN(c.p()) ? "" : String.format("%.4g", c.p()))
                    .append("</td>")
                    .append(left)
                    .append("<b>")
                    .append(esc(c.verdict().key()))
                    .append("</b></td>")
                    .append(left)
                    .append(esc(c.rule()))
                    .append("</td></tr>");
        }
        html.append("</table>");
    }

    /** A series' label with its requested sparsity, which comparisons of one method at several sparsities need. */
    private static String atSparsity(BenchResult.Series s) {
        return s.kind() == Method.DENSE ? s.label() : String.format("%s @ %.2f", s.label(), s.sparsity());
    }

    /**
     * Each perplexity ratio at its comparison's row number, with its paired 95% interval as an error bar
     * and the line of no difference; null where no comparison is a ratio. XChart draws error bars
     * symmetric about a value, so the interval is drawn about its own midpoint, apart from the ratio's point.
     */
    private static CategoryChart ratios(List<Comparison> comparisons) {
        List<String> rows = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> mid = new ArrayList<>();
        List<Double> halfWidth = new ArrayList<>();
        for (int i = 0; i < comparisons.size(); i++) {
            Comparison c = comparisons.get(i);
            if (!(c.result() instanceof PairedComparison.Ratio)) {
                continue;
            }
            boolean interval = !Double.isNaN(c.low());
            rows.add(Integer.toString(i + 1));
            ratio.add(c.value());
            mid.add(interval ? (c.low() + c.high()) / 2 : c.value());
            halfWidth.add(interval ? (c.high() - c.low()) / 2 : 0.0);
        }
        if (rows.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder()
                .width(Math.max(720, 120 + 28 * rows.size()))
                .height(420)
                .title("Paired perplexity ratios ppl(A)/ppl(B), with paired 95% intervals")
                .xAxisTitle("comparison (row of the table below)")
                .yAxisTitle("ppl(A) / ppl(B)")
                .build();
        // outside the plot, where it hides no point
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        CategorySeries bars = chart.addSeries("paired 95% interval", rows, mid, halfWidth);
        bars.setMarker(SeriesMarkers.NONE);
        chart.addSeries("ratio", rows, ratio).setMarker(SeriesMarkers.DIAMOND);
        CategorySeries one = chart.addSeries(
                "no difference", rows, rows.stream().map(r -> 1.0).toList());
        one.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        one.setMarker(SeriesMarkers.NONE);
        one.setLineColor(java.awt.Color.GRAY);
        return chart;
    }

    /** One line per method over sparsity; dense, measured once, is drawn flat across the range. */
    private static XYChart lines(String title, String yTitle, List<BenchResult> results, Metric measure, String task) {
        Map<String, Map<Double, Double>> series = new LinkedHashMap<>();
        TreeSet<Double> xs = new TreeSet<>();
        for (BenchResult r : results) {
            if (r.measure() == measure && r.task().equals(task)) {
                series.computeIfAbsent(r.series().label(), k -> new java.util.TreeMap<>())
                        .put(r.sparsity(), r.value());
                xs.add(r.sparsity());
            }
        }
        if (series.isEmpty()) {
            return null;
        }
        XYChart chart = new XYChartBuilder()
                .width(720)
                .height(420)
                .title(title)
                .xAxisTitle("sparsity")
                .yAxisTitle(yTitle)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        series.forEach((method, points) -> {
            Map<Double, Double> p = points.size() == 1 && xs.size() > 1
                    ? Map.of(
                            xs.first(),
                            points.values().iterator().next(),
                            xs.last(),
                            points.values().iterator().next())
                    : points;
            List<Double> x = new ArrayList<>(new TreeSet<>(p.keySet()));
            List<Double> y = x.stream().map(p::get).toList();
            chart.addSeries(method, x, y);
        });
        return chart;
    }

    /** Per sparsity, grouped bars: tasks by method, dense included. */
    private static List<CategoryChart> accuracy(List<BenchResult> results) {
        TreeSet<Double> sparsities = new TreeSet<>();
        for (BenchResult r : results) {
            if (r.measure() == Metric.ACC && !r.method().equals(Method.DENSE.key())) {
                sparsities.add(r.sparsity());
            }
        }
        List<CategoryChart> charts = new ArrayList<>();
        for (double s : sparsities) {
            Map<String, Map<String, Double>> byMethod = new LinkedHashMap<>();
            TreeSet<String> tasks = new TreeSet<>();
            for (BenchResult r : results) {
                if (r.measure() == Metric.ACC && (r.method().equals(Method.DENSE.key()) || r.sparsity() == s)) {
                    byMethod.computeIfAbsent(r.series().label(), k -> new LinkedHashMap<>())
                            .put(r.task(), r.value());
                    tasks.add(r.task());
                }
            }
            CategoryChart chart = new CategoryChartBuilder()
                    .width(820)
                    .height(420)
                    .title(String.format("Zero-shot accuracy per task at sparsity %.2f", s))
                    .xAxisTitle("task")
                    .yAxisTitle("acc")
                    .build();
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            List<String> taskList = new ArrayList<>(tasks);
            byMethod.forEach((method, values) -> chart.addSeries(
                    method,
                    taskList,
                    taskList.stream().map(t -> values.getOrDefault(t, 0.0)).toList()));
            charts.add(chart);
        }
        return charts;
    }

    private static String png(Chart<?, ?> chart) {
        try {
            return Base64.getEncoder()
                    .encodeToString(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot draw " + chart.getTitle(), e);
        }
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
