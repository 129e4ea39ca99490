package org.shadowllm.jobs.bench;

import ai.djl.ndarray.NDManager;
import org.apache.hadoop.conf.Configuration;
import org.shadowllm.bench.method.PredictorSet;
import org.shadowllm.jobs.tables.LocalCopy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bench's predictors where the trainer job put them ({@code --predictors}), read through the Hadoop client. */
final class BenchPredictors {
    private static final Logger LOG = LoggerFactory.getLogger(BenchPredictors.class);

    private BenchPredictors() {}

    static PredictorSet open(
            NDManager manager,
            BenchOptions options,
            PredictorSet.Target target,
            Configuration hadoop,
            PredictorSet.Provenance provenance) {
        return new PredictorSet(
                        manager,
                        target,
                        (kind, criterion) -> options.predictorDir(target.modelName(), criterion, kind.key()),
                        dir -> {
                            LocalCopy copy = LocalCopy.of(hadoop, dir);
                            return new PredictorSet.Folder(copy.path(), copy);
                        },
                        provenance,
                        LOG::warn)
                .at(options.predictorPrecision());
    }
}
