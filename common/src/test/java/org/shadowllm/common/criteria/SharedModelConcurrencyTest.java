package org.shadowllm.common.criteria;

import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.flatten;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.Golden;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderModel;

/**
 * A Spark executor runs several tasks on one loaded model at once. The model serializes their passes
 * ({@code DecoderModel.exclusive()}), so results computed from several threads equal sequential ones.
 */
class SharedModelConcurrencyTest {
    @Test
    void concurrentCriteriaOnOneModelEqualSequentialResults() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Golden g = Golden.load();
                DecoderModel model = ModelCheckpoint.load(Golden.modelDir(), m, Device.cpu())) {
            List<ScoredExample> examples = g.scoredExamples();
            CriteriaCalculator calc = new CriteriaCalculator(model);
            CriteriaOptions all = CriteriaOptions.all();
            List<ExampleImportance> sequential = new ArrayList<>();
            for (ScoredExample ex : examples) {
                sequential.add(calc.compute(List.of(ex), all).get(0));
            }
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                for (int rep = 0; rep < 8; rep++) {
                    List<Future<ExampleImportance>> futures = new ArrayList<>();
                    for (ScoredExample ex : examples) {
                        futures.add(
                                pool.submit(() -> calc.compute(List.of(ex), all).get(0)));
                    }
                    for (int i = 0; i < examples.size(); i++) {
                        ExampleImportance c = futures.get(i).get();
                        for (ImportanceCriterion crit : all.criteria()) {
                            assertClose(
                                    "rep " + rep + " " + c.id() + " head " + crit.key(),
                                    flatten(sequential.get(i).head(crit)),
                                    flatten(c.head(crit)),
                                    1e-6,
                                    0);
                            assertClose(
                                    "rep " + rep + " " + c.id() + " neuron " + crit.key(),
                                    flatten(sequential.get(i).neuron(crit)),
                                    flatten(c.neuron(crit)),
                                    1e-6,
                                    0);
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
