package org.shadowllm.bench.report;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.common.model.DecoderConfig;

/** How a fixed plan (static, random) spreads its budget: the fraction of each layer's heads and neurons it keeps. */
public final class Allocation {
    private Allocation() {}

    /** Two rows per layer 1..L-1 for a method with fixed plans; none for a method that plans per input. */
    public static List<BenchResult> of(SparsityMethod m, DecoderConfig c) {
        List<BenchResult> out = new ArrayList<>();
        var plans = m.fixedPlans();
        if (plans == null) {
            return out;
        }
        for (int l = 1; l < plans.length; l++) {
            out.add(row(m, Metric.KEPT_HEADS, l, plans[l].headCount(), c.numHeads()));
            out.add(row(m, Metric.KEPT_NEURONS, l, plans[l].neuronCount(), c.ffnDim()));
        }
        return out;
    }

    private static BenchResult row(SparsityMethod m, Metric metric, int layer, int kept, int of) {
        Bootstrap.Interval fraction = BenchResult.exact(kept / (double) of);
        return BenchResult.of(m, metric, "layer-" + layer, kept, fraction);
    }
}
