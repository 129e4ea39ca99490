package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.bench.report.PairedItems;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Perplexity and accuracy scored token by token on the plain-Java decode engine, each position planned
 * as decoding plans it (per token, or per re-plan), on the driver.
 */
final class DecodeMeasures {
    private static final Logger LOG = LoggerFactory.getLogger(DecodeMeasures.class);

    private DecodeMeasures() {}

    static List<BenchResult> perplexity(BenchRun run, DecodeEngine engine, PairedItems items) {
        requireEngine(engine, Measure.DECODE_PERPLEXITY);
        List<BenchResult> rows = new ArrayList<>();
        for (SparsityMethod m : run.methods()) {
            PerplexityEval.Result r = run.options()
                    .perplexityEval()
                    .runDecoding(engine, run.sparse(), m, run.inputs().text(), LOG::debug);
            items.add(m, Metric.DECODE_PERPLEXITY, r);
            rows.add(BenchResult.of(m, Metric.DECODE_PERPLEXITY, "wikitext-2", r.scoredTokens(), r.interval()));
            LOG.info("decode-perplexity {}: {}", m.label(), String.format("%.3f", r.perplexity()));
        }
        return rows;
    }

    static List<BenchResult> accuracy(BenchRun run, DecodeEngine engine, PairedItems items) {
        requireEngine(engine, Measure.DECODE_ACCURACY);
        List<BenchResult> rows = new ArrayList<>();
        for (SparsityMethod m : run.methods()) {
            for (Map.Entry<FewShotTask, List<TaskExample>> t :
                    run.inputs().tasks().entrySet()) {
                ZeroShotEval.Result r = ZeroShotEval.runDecoding(
                        engine,
                        run.sparse(),
                        m,
                        t.getKey(),
                        t.getValue(),
                        run.model().tokenizer(),
                        LOG::debug);
                items.add(m, Metric.DECODE_ACC, r);
                rows.add(AccuracyMeasure.row(m, Metric.DECODE_ACC, r, r.acc()));
            }
            LOG.info(
                    "decode-accuracy {}: {} tasks done",
                    m.label(),
                    run.inputs().tasks().size());
        }
        return rows;
    }

    private static void requireEngine(DecodeEngine engine, Measure measure) {
        if (engine == null) {
            throw new IllegalArgumentException(measure.key() + " runs on the plain-Java decode engine: use a CPU "
                    + "device and --engine fp32 or bf16");
        }
    }
}
