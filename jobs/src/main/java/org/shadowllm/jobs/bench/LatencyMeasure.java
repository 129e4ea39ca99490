package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Metric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prefill and decode time at batch 1, every method timed in turn in each repeat: dense prefill on DJL and
 * decoding on the plain-Java engine when there is one, else DJL throughout.
 */
final class LatencyMeasure {
    private static final Logger LOG = LoggerFactory.getLogger(LatencyMeasure.class);
    private static final String TASK = "generation";

    private LatencyMeasure() {}

    static List<BenchResult> run(BenchRun run, DecodeEngine engine) {
        BenchOptions o = run.options();
        LatencyEval latency = new LatencyEval(
                o.latency().prompt(),
                o.latency().generate(),
                o.latency().warmup(),
                o.latency().repeats());
        List<SparsityMethod> methods = run.methods();
        int[] text = run.inputs().text();
        List<LatencyEval.Result> timed = engine != null
                ? latency.runAllOnEngine(run.root(), run.sparse(), engine, methods, text, LOG::info)
                : latency.runAll(run.root(), run.sparse(), methods, text, LOG::info);
        List<BenchResult> rows = new ArrayList<>();
        for (int i = 0; i < methods.size(); i++) {
            LatencyEval.Result r = timed.get(i);
            SparsityMethod m = methods.get(i);
            rows.add(BenchResult.of(
                    m, Metric.DECODE_MS_PER_TOKEN, TASK, r.repeats(), BenchResult.exact(r.decodeMsPerToken())));
            rows.add(BenchResult.of(m, Metric.END_TO_END_MS, TASK, r.repeats(), BenchResult.exact(r.endToEndMs())));
            rows.add(BenchResult.of(m, Metric.PREFILL_MS, TASK, r.repeats(), BenchResult.exact(r.prefillMs())));
        }
        return rows;
    }
}
