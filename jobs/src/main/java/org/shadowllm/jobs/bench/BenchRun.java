package org.shadowllm.jobs.bench;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.method.UnitScores;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.common.criteria.ImportanceCriterion;

/**
 * What every measure of one bench run works from, on the driver.
 *
 * @param staticScores the scores the static methods rank by, per criterion (executors build their
 *                     methods from them too)
 * @param methods      every method configuration, in report order
 * @param sparse       the driver's sparse view of the model
 * @param root         the manager the driver's measures allocate under
 */
record BenchRun(
        BenchOptions options,
        BenchModel model,
        BenchInputs inputs,
        Map<ImportanceCriterion, UnitScores> staticScores,
        List<SparsityMethod> methods,
        SparseDecoderModel sparse,
        NDManager root) {
    BenchRun {
        staticScores = Map.copyOf(staticScores);
        methods = List.copyOf(methods);
    }
}
