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
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.shadowllm.bench.method.Method;

/**
 * A self-contained HTML report: PNG plots drawn by XChart, embedded as data URIs, and every result in a
 * table. Plots: perplexity against sparsity per method, accuracy per task per method at each
 * sparsity, and decode latency against sparsity.
 */
public final class HtmlReport {
    private HtmlReport() {}

    public static void write(Path file, String title, Map<String, String> about, List<BenchResult> results) {
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
