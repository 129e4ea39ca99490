package org.shadowllm.common.criteria;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.flatten;
import static org.shadowllm.common.Tolerance.widen;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;

/**
 * Padding-based batching changes no value; grasp's Hessian-gradient product agrees with double backward.
 * Every check runs on a small random OPT (ReLU: the central difference freezes its gates) and a small random
 * Llama (SwiGLU is smooth, nothing to freeze; grouped-query attention; heads narrower than hidden / heads).
 */
class BatchingAndGraspTest {
    static final List<ScoredExample> EXAMPLES = List.of(
            new ScoredExample("long", new int[] {0, 5, 9, 11, 40, 2, 7, 31, 8, 13, 50, 4}, 3),
            new ScoredExample("short", new int[] {0, 22, 6, 1}, 2),
            new ScoredExample("middle", new int[] {0, 14, 3, 3, 27, 45, 19}, 1));

    @Nested
    class Opt extends Checks {
        Opt() {
            super(DecoderConfig.of(53, 40, 2, 5, 72, 32));
        }
    }

    @Nested
    class Llama extends Checks {
        Llama() {
            super(DecoderConfig.builder(ModelFamily.LLAMA)
                    .shape(53, 40, 2, 4, 36)
                    .kvHeads(2)
                    .headDim(6)
                    .maxPositions(32)
                    .ropeTheta(5000)
                    .normEps(1e-5)
                    .build());
        }
    }

    /** The checks, for one family's random model (loaded once per family). */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Checks {
        final DecoderConfig config;

        private NDManager manager;
        private DecoderModel fp64;
        private DecoderModel fp32;

        Checks(DecoderConfig config) {
            this.config = config;
        }

        @BeforeAll
        void load(@TempDir Path dir) {
            RandomCheckpoint.write(dir, config, 99L);
            manager = NDManager.newBaseManager(Device.cpu());
            fp64 = ModelCheckpoint.load(dir, manager, Device.cpu(), DataType.FLOAT64);
            fp32 = ModelCheckpoint.load(dir, manager, Device.cpu(), DataType.FLOAT32);
        }

        @AfterAll
        void close() {
            manager.close();
        }

        private static void assertSameResults(
                ExampleImportance one, ExampleImportance batched, double rel, double abs) {
            assertEquals(one.inputTokens(), batched.inputTokens());
            assertClose(one.id() + " loss", new double[] {one.loss()}, new double[] {batched.loss()}, rel, abs);
            assertClose(one.id() + " logprobs", widen(one.targetLogprobs()), batched.targetLogprobs(), rel, abs);
            assertClose(one.id() + " logits", widen(one.lastLogits()), batched.lastLogits(), rel, abs);
            for (ImportanceCriterion c : ImportanceCriterion.values()) {
                assertClose(one.id() + " head " + c.key(), flatten(one.head(c)), flatten(batched.head(c)), rel, abs);
                assertClose(
                        one.id() + " neuron " + c.key(), flatten(one.neuron(c)), flatten(batched.neuron(c)), rel, abs);
            }
            assertClose(
                    one.id() + " ctx", flatten(one.attnContextLast()), flatten(batched.attnContextLast()), rel, abs);
            assertClose(one.id() + " res", flatten(one.residualInLast()), flatten(batched.residualInLast()), rel, abs);
            for (int l = 0; l < one.headGradients().length; l++) {
                for (int t = 0; t < one.headGradients()[l].length; t++) {
                    assertClose(
                            one.id() + " head gradient",
                            flatten(one.headGradients()[l][t]),
                            flatten(batched.headGradients()[l][t]),
                            rel,
                            abs);
                }
            }
        }

        private void checkBatching(DecoderModel model, double rel, double abs) {
            CriteriaOptions all = CriteriaOptions.all().withLastLogits().withHeadGradients();
            CriteriaCalculator calc = new CriteriaCalculator(model);
            List<ExampleImportance> batched = calc.compute(EXAMPLES, all);
            assertEquals(EXAMPLES.size(), batched.size());
            for (int i = 0; i < EXAMPLES.size(); i++) {
                ExampleImportance single =
                        calc.compute(List.of(EXAMPLES.get(i)), all).get(0);
                assertEquals(EXAMPLES.get(i).id(), batched.get(i).id());
                assertSameResults(single, batched.get(i), rel, abs);
            }
        }

        @Test
        void batchingWithPaddingChangesNoValueInFp64() {
            checkBatching(fp64, 1e-9, 1e-12);
        }

        @Test
        void batchingWithPaddingChangesNoValueInFp32() {
            checkBatching(fp32, 1e-4, 1e-7);
        }

        private static double relativeError(JointVector actual, JointVector expected) {
            return actual.combine(1, expected, -1).norm() / expected.norm();
        }

        private static double relativeError(float[][] actual, float[][] expected) {
            double num = 0;
            double den = 0;
            for (int l = 0; l < actual.length; l++) {
                for (int u = 0; u < actual[l].length; u++) {
                    num += Math.pow(actual[l][u] - expected[l][u], 2);
                    den += Math.pow(expected[l][u], 2);
                }
            }
            return Math.sqrt(num / den);
        }

        @Test
        void centralDifferenceGraspMatchesDoubleBackward() {
            HessianGradient fd64 = new HessianGradient(fp64);
            HessianGradient fd32 = new HessianGradient(fp32);
            for (ScoredExample ex : EXAMPLES) {
                HessianGradient.Result ref = DoubleBackwardHessianGradient.compute(fp64, ex);
                HessianGradient.Result r64 = fd64.computeWithVectors(ex);
                HessianGradient.Result r32 = fd32.computeWithVectors(ex);
                double eg = relativeError(r64.gradient(), ref.gradient());
                System.out.printf(
                        "grasp %s: first-order gradient, central-difference path vs double-backward path: %.2e%n",
                        ex.id(), eg);
                assertTrue(eg < 1e-9, "first-order gradients differ by " + eg);
                double e64 = relativeError(r64.hessianGradient(), ref.hessianGradient());
                double e32 = relativeError(r32.hessianGradient(), ref.hessianGradient());
                double s32 = Math.max(
                        relativeError(r32.headGrasp(), ref.headGrasp()),
                        relativeError(r32.neuronGrasp(), ref.neuronGrasp()));
                System.out.printf(
                        "grasp %s: |Hg| %.4g; central difference vs double backward: fp64 %.2e, fp32 %.2e "
                                + "(fp32 grasp scores %.2e)%n",
                        ex.id(), ref.hessianGradient().norm(), e64, e32, s32);
                assertTrue(e64 < 1e-7, ex.id() + ": fp64 central difference off by " + e64);
                assertTrue(e32 < 1e-3 && s32 < 1e-3, ex.id() + ": fp32 central difference off by " + e32 + " / " + s32);
            }
        }

        @Test
        void doubleBackwardHessianGradientMatchesItsOwnFiniteDifference() {
            HessianGradient hg = new HessianGradient(fp64);
            ScoredExample ex = EXAMPLES.get(1);
            HessianGradient.Result r = DoubleBackwardHessianGradient.compute(fp64, ex);
            JointVector g = r.gradient();
            double norm = g.norm();
            JointVector unit = g.scale(1 / norm);
            double eps = 1e-6;
            JointVector fd = hg.gradientAt(ex, unit.scale(eps))
                    .combine(norm / (2 * eps), hg.gradientAt(ex, unit.scale(-eps)), -norm / (2 * eps));
            assertTrue(relativeError(fd, r.hessianGradient()) < 1e-7);
            assertTrue(relativeError(hg.gradientAt(ex, null), g) < 1e-12, "first-order gradient differs");
        }

        @Test
        void graspScoresFollowFromHessianGradientActivationsAndWeights() {
            ScoredExample ex = EXAMPLES.get(0);
            HessianGradient.Result r = new HessianGradient(fp64).computeWithVectors(ex);
            ExampleImportance full = new CriteriaCalculator(fp64)
                    .compute(
                            List.of(ex),
                            new CriteriaOptions(java.util.EnumSet.of(ImportanceCriterion.GRASP), false, false))
                    .get(0);
            int e = config.neuronInputWidth();
            int h = config.numHeads();
            int d = config.headDim();
            int t = ex.inputLength();
            double[][] context = new double[config.numLayers()][];
            try (NDManager scope = manager.newSubManager()) {
                TokenBatch b = new TokenBatch(List.of(ex), config, scope, DataType.FLOAT64);
                fp64.forward(
                        scope,
                        b.inputIds,
                        new org.shadowllm.common.model.LayerTap() {
                            @Override
                            public ai.djl.ndarray.NDArray attentionContext(int layer, ai.djl.ndarray.NDArray ctx) {
                                context[layer] = ctx.toDoubleArray();
                                return ctx;
                            }
                        },
                        null);
            }
            for (int l = 0; l < config.numLayers(); l++) {
                double[] hgA = r.hessianGradient().heads()[l];
                double[] expectedHead = new double[h];
                for (int tt = 0; tt < t; tt++) {
                    for (int hh = 0; hh < h; hh++) {
                        double s = 0;
                        for (int u = 0; u < d; u++) {
                            int i = (tt * h + hh) * d + u;
                            s += -hgA[i] * context[l][i];
                        }
                        expectedHead[hh] += Math.abs(s);
                    }
                }
                assertClose(
                        "head grasp layer " + l,
                        expectedHead,
                        widen(full.head(ImportanceCriterion.GRASP)[l]),
                        1e-6,
                        1e-15);
                double[] w = fp64.weights().layers().get(l).fc1Weight().toDoubleArray();
                double[] hgW = r.hessianGradient().fc1()[l];
                double[] expectedNeuron = new double[config.ffnDim()];
                for (int k = 0; k < expectedNeuron.length; k++) {
                    for (int j = 0; j < e; j++) {
                        expectedNeuron[k] += Math.abs(-hgW[k * e + j] * w[k * e + j]);
                    }
                }
                assertClose(
                        "neuron grasp layer " + l,
                        expectedNeuron,
                        widen(full.neuron(ImportanceCriterion.GRASP)[l]),
                        1e-6,
                        1e-15);
            }
        }
    }
}
