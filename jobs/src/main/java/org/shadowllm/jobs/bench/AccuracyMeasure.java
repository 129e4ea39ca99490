package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.bench.report.PairedItems;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;

/** Zero-shot accuracy per method and task, each task's examples spread over the executors in shards. */
final class AccuracyMeasure {
    private AccuracyMeasure() {}

    static List<BenchResult> spread(BenchRun run, ShardedMeasures shards, PairedItems items) {
        List<ShardedMeasures.Measurement> measurements = new ArrayList<>();
        for (int i = 0; i < run.methods().size(); i++) {
            for (Map.Entry<FewShotTask, List<TaskExample>> t :
                    run.inputs().tasks().entrySet()) {
                measurements.add(new ShardedMeasures.Measurement(
                        i, t.getKey(), t.getValue().size()));
            }
        }
        List<List<SpreadMeasures.Outcome>> outcomes = shards.run(Measure.ACCURACY, measurements);
        List<BenchResult> rows = new ArrayList<>();
        for (int k = 0; k < outcomes.size(); k++) {
            SparsityMethod m = run.methods().get(measurements.get(k).method());
            ZeroShotEval.Result r = ZeroShotEval.Result.combine(outcomes.get(k).stream()
                    .map(SpreadMeasures.Outcome::accuracy)
                    .toList());
            items.add(m, Metric.ACC, r);
            rows.add(row(m, Metric.ACC, r, r.acc()));
            if (!Double.isNaN(r.accNorm())) {
                rows.add(row(m, Metric.ACC_NORM, r, r.accNorm()));
            }
        }
        return rows;
    }

    /** An accuracy row: {@code value} of the task {@code r} scored, with its standard error. */
    static BenchResult row(SparsityMethod m, Metric metric, ZeroShotEval.Result r, double value) {
        return BenchResult.of(m, metric, r.task().key(), r.examples(), Bootstrap.accuracy(value, r.examples()));
    }
}
