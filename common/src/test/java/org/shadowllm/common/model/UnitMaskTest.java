package org.shadowllm.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.shadowllm.common.Tolerance.assertClose;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.Golden;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.LoglikelihoodScorer;
import org.shadowllm.common.criteria.ScoredExample;

/** Masks act as gates: the loss's derivative in a unit's mask value is that unit's signed snip. */
class UnitMaskTest {
    private static double loss(
            LoglikelihoodScorer scorer, ScoredExample ex, UnitMask mask, NDManager m, DecoderModel model) {
        try (NDManager scope = m.newSubManager()) {
            return -scorer.sumLogprobs(List.of(ex), mask.asTap(scope, model.config()))[0] / ex.continuationLength();
        }
    }

    @Test
    void derivativeOfLossInAMaskValueIsTheUnitsSnip() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Golden g = Golden.load();
                DecoderModel model = ModelCheckpoint.load(Golden.modelDir(), m, Device.cpu(), DataType.FLOAT64)) {
            Golden.Example e = g.examples().get(3);
            ScoredExample ex = new ScoredExample(e.id(), e.allTokens(), e.targetIds().length);
            ExampleImportance r = new CriteriaCalculator(model)
                    .compute(List.of(ex), CriteriaOptions.singlePass())
                    .get(0);
            LoglikelihoodScorer scorer = new LoglikelihoodScorer(model);
            double eps = 1e-5;
            int[][] heads = {{0, 0}, {1, 3}, {3, 2}};
            for (int[] u : heads) {
                UnitMask up = UnitMask.keepAll(model.config());
                UnitMask down = UnitMask.keepAll(model.config());
                float[][] hu = up.heads();
                float[][] hd = down.heads();
                hu[u[0]][u[1]] = (float) (1 + eps);
                hd[u[0]][u[1]] = (float) (1 - eps);
                double d = (loss(scorer, ex, new UnitMask(hu, up.neurons()), m, model)
                                - loss(scorer, ex, new UnitMask(hd, down.neurons()), m, model))
                        / ((float) (1 + eps) - (float) (1 - eps));
                assertClose(
                        "head " + u[0] + "/" + u[1],
                        new double[] {r.head(ImportanceCriterion.SNIP)[u[0]][u[1]]},
                        new double[] {Math.abs(d)},
                        1e-4,
                        1e-9);
            }
            int[][] neurons = {{0, 5}, {2, 100}, {3, 511}};
            for (int[] u : neurons) {
                float[][] nu = UnitMask.keepAll(model.config()).neurons();
                float[][] nd = UnitMask.keepAll(model.config()).neurons();
                nu[u[0]][u[1]] = (float) (1 + eps);
                nd[u[0]][u[1]] = (float) (1 - eps);
                float[][] h = UnitMask.keepAll(model.config()).heads();
                double d = (loss(scorer, ex, new UnitMask(h, nu), m, model)
                                - loss(scorer, ex, new UnitMask(h, nd), m, model))
                        / ((float) (1 + eps) - (float) (1 - eps));
                assertClose(
                        "neuron " + u[0] + "/" + u[1],
                        new double[] {r.neuron(ImportanceCriterion.SNIP)[u[0]][u[1]]},
                        new double[] {Math.abs(d)},
                        1e-4,
                        1e-9);
            }
        }
    }

    @Test
    void keepAllMaskChangesNothingAndAZeroHeadChangesTheLoss() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Golden g = Golden.load();
                DecoderModel model = ModelCheckpoint.load(Golden.modelDir(), m, Device.cpu(), DataType.FLOAT64)) {
            Golden.Example e = g.examples().get(0);
            ScoredExample ex = new ScoredExample(e.id(), e.allTokens(), e.targetIds().length);
            LoglikelihoodScorer scorer = new LoglikelihoodScorer(model);
            double plain = -scorer.sumLogprobs(List.of(ex), LayerTap.NONE)[0] / ex.continuationLength();
            UnitMask all = UnitMask.keepAll(model.config());
            assertEquals(plain, loss(scorer, ex, all, m, model), 1e-12);
            float[][] h = all.heads();
            h[2][1] = 0;
            assertNotEquals(plain, loss(scorer, ex, new UnitMask(h, all.neurons()), m, model), 1e-6);
        }
    }

    @Test
    void maskOfTheWrongShapeIsRefused() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(Golden.modelDir(), m, Device.cpu())) {
            UnitMask wrong = new UnitMask(new float[4][3], new float[4][512]);
            assertThrows(IllegalArgumentException.class, () -> wrong.asTap(m, model.config()));
        }
    }
}
