package org.shadowllm.common.criteria;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.Golden;
import org.shadowllm.common.checkpoint.OptCheckpoint;
import org.shadowllm.common.model.OptModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.shadowllm.common.Tolerance.flatten;

/**
 * Single-pass criteria must not change while other threads collect garbage and allocate tensors, as
 * Spark's do. Grasp is not covered: under this load its head scores moved by up to 6x, for a reason
 * not yet found, so the criteria job leaves it out by default.
 */
class ReadBackUnderPressureTest {
    /**
     * Within 20% as a vector: the load shifts how MKL splits work, and a ReLU gate at an fp32 near-tie
     * can round the other way, moving this random model's gradient criteria by up to ~6% (fisher
     * squares them). Corruption of the kind seen in grasp moves them by several times.
     */
    private static void assertNear(String what, double[] expected, double[] actual) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            num += (expected[i] - actual[i]) * (expected[i] - actual[i]);
            den += expected[i] * expected[i];
        }
        org.junit.jupiter.api.Assertions.assertTrue(num <= 0.04 * den,
                what + ": relative distance " + Math.sqrt(num / den));
    }

    @Test
    void criteriaUnderGcAndAllocationPressureEqualQuietResults() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); Golden g = Golden.load();
             OptModel model = OptCheckpoint.load(Golden.modelDir(), m, Device.cpu())) {
            List<ScoredExample> examples = new ArrayList<>();
            for (Golden.Example e : g.examples()) {
                examples.add(new ScoredExample(e.id(), e.allTokens(), e.targetIds().length));
            }
            java.util.Set<Integer> nearTies;
            try (OptModel exact = OptCheckpoint.load(Golden.modelDir(), m, Device.cpu(),
                    ai.djl.ndarray.types.DataType.FLOAT64)) {
                nearTies = GoldenCriteriaTest.reluNearTies(model, exact, examples);
            }
            CriteriaCalculator calc = new CriteriaCalculator(model);
            List<ExampleImportance> quiet = calc.compute(examples, CriteriaOptions.singlePass());
            AtomicBoolean run = new AtomicBoolean(true);
            Thread noise = new Thread(() -> {
                try (NDManager other = NDManager.newBaseManager(Device.cpu())) {
                    while (run.get()) {
                        // Allocation only: parallel arithmetic here would change how MKL splits our work and
                        // so the rounding at ReLU near-ties, which is not what this test is about.
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
                    List<ExampleImportance> loud = calc.compute(examples, CriteriaOptions.singlePass());
                    for (int i = 0; i < examples.size(); i++) {
                        if (nearTies.contains(i)) {
                            continue; // its fp32 gradients depend on thread scheduling, see GoldenCriteriaTest
                        }
                        for (ImportanceCriterion c : ImportanceCriterion.SINGLE_PASS) {
                            String what = "rep " + rep + " " + examples.get(i).id() + " " + c.key();
                            assertNear(what + " heads", flatten(quiet.get(i).head(c)), flatten(loud.get(i).head(c)));
                            assertNear(what + " neurons", flatten(quiet.get(i).neuron(c)),
                                    flatten(loud.get(i).neuron(c)));
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
