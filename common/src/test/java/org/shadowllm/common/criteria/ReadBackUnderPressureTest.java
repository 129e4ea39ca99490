package org.shadowllm.common.criteria;

import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.flatten;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.Golden;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderModel;

/**
 * Criteria must not change while another thread collects garbage and allocates, as Spark's do. With
 * DJL's {@code x.mul(number)}, the scalar's memory could be freed by the collector while autograd still
 * held it: gradients moved by up to 25,000x in fp64, and some passes gave Inf (see Tensors).
 */
class ReadBackUnderPressureTest {
    @Test
    void criteriaUnderGcAndAllocationPressureEqualQuietResults() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Golden g = Golden.load();
                DecoderModel model = ModelCheckpoint.load(Golden.modelDir(), m, Device.cpu())) {
            List<ScoredExample> examples = g.scoredExamples();
            CriteriaCalculator calc = new CriteriaCalculator(model);
            List<ExampleImportance> quiet = calc.compute(examples, CriteriaOptions.all());
            AtomicBoolean run = new AtomicBoolean(true);
            Thread noise = new Thread(() -> {
                try (NDManager other = NDManager.newBaseManager(Device.cpu())) {
                    while (run.get()) {
                        try (NDArray a = other.create(new float[1 << 16])) {
                            a.getShape();
                        }
                        System.gc();
                    }
                }
            });
            noise.start();
            try {
                for (int rep = 0; rep < 3; rep++) {
                    List<ExampleImportance> loud = calc.compute(examples, CriteriaOptions.all());
                    for (int i = 0; i < examples.size(); i++) {
                        for (ImportanceCriterion c : ImportanceCriterion.values()) {
                            String what = "rep " + rep + " " + examples.get(i).id() + " " + c.key();
                            assertClose(
                                    what + " heads",
                                    flatten(quiet.get(i).head(c)),
                                    flatten(loud.get(i).head(c)),
                                    1e-6,
                                    0);
                            assertClose(
                                    what + " neurons",
                                    flatten(quiet.get(i).neuron(c)),
                                    flatten(loud.get(i).neuron(c)),
                                    1e-6,
                                    0);
                        }
                    }
                }
            } finally {
                run.set(false);
                noise.join();
            }
        }
    }
}
