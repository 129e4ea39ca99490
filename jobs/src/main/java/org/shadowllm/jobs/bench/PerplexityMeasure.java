package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.bench.report.PairedItems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Perplexity on WikiText-2: windows spread over the executors, each window's mask from its prefix; and
 * the paper's protocol (whole articles in rolling full-context windows) on the driver.
 */
final class PerplexityMeasure {
    private static final Logger LOG = LoggerFactory.getLogger(PerplexityMeasure.class);
    private static final String TASK = "wikitext-2";

    private PerplexityMeasure() {}

    /** Each method's perplexity over the run's windows, the windows spread in shards. */
    static List<BenchResult> spread(BenchRun run, ShardedMeasures shards, PairedItems items) {
        PerplexityEval eval = run.options().perplexityEval();
        int windows = eval.windowCount(run.model().config(), run.inputs().text());
        List<ShardedMeasures.Measurement> measurements = new ArrayList<>();
        for (int i = 0; i < run.methods().size(); i++) {
            measurements.add(new ShardedMeasures.Measurement(i, null, windows));
        }
        List<List<SpreadMeasures.Outcome>> outcomes = shards.run(Measure.PERPLEXITY, measurements);
        List<BenchResult> rows = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            PerplexityEval.Result r = eval.combine(outcomes.get(i).stream()
                    .map(SpreadMeasures.Outcome::windows)
                    .toList());
            items.add(run.methods().get(i), Metric.PERPLEXITY, r);
            rows.add(new BenchResult(
                    BenchResult.Series.of(run.methods().get(i)),
                    new BenchResult.Achieved(r.headSparsity(), r.neuronSparsity()),
                    Metric.PERPLEXITY,
                    TASK,
                    r.scoredTokens(),
                    r.interval()));
        }
        return rows;
    }

    /** Each method's word- and token-level perplexity under the paper's protocol, on the driver. */
    static List<BenchResult> paper(BenchRun run, PairedItems items) {
        PerplexityEval eval = run.options().perplexityEval();
        List<BenchResult> rows = new ArrayList<>();
        for (SparsityMethod m : run.methods()) {
            PerplexityEval.PaperResult r =
                    eval.runPaper(run.root(), run.sparse(), m, run.inputs().documents(), LOG::debug);
            items.add(m, r);
            BenchResult.Series series = BenchResult.Series.of(m);
            var achieved = new BenchResult.Achieved(r.headSparsity(), r.neuronSparsity());
            rows.add(new BenchResult(series, achieved, Metric.PERPLEXITY_PAPER, TASK, r.words(), r.wordPerplexity()));
            rows.add(new BenchResult(
                    series, achieved, Metric.PERPLEXITY_PAPER_TOKEN, TASK, r.tokens(), r.tokenPerplexity()));
            LOG.info(
                    "perplexity-paper {}: word perplexity {}",
                    series.label(),
                    String.format("%.3f", r.wordPerplexity().value()));
        }
        return rows;
    }
}
