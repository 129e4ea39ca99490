package org.shadowllm.common.criteria;

import static org.shadowllm.common.Tolerance.assertClose;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.ReferenceOpt;
import org.shadowllm.common.ReferenceOpt.Perturbation;
import org.shadowllm.common.ReferenceOpt.Site;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * A seeded random OPT of a shape unlike tiny-random-opt (3 layers, 6 heads of size 16, FFN 384),
 * checked criterion by criterion against {@link ReferenceOpt}: loops in float64, gradients by central
 * finite differences of the loss, one perturbed value at a time.
 */
class RandomShapeCriteriaTest {
    static final DecoderConfig CONFIG = DecoderConfig.of(61, 96, 3, 6, 384, 40);
    static final long SEED = 20240601L;
    static final int[] TOKENS = {0, 17, 42, 5, 33, 8, 59, 21, 3};
    static final int CONTINUATION = 3;
    private static final double EPS = 1e-5;

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static Map<String, Tensor> weights;
    private static ReferenceOpt reference;
    private static ReferenceOpt.Trace trace;
    private static double[][][] headGrad;
    private static double[][][] neuronGrad;
    private static Map<ImportanceCriterion, double[]> refHeads;
    private static Map<ImportanceCriterion, double[]> refNeurons;

    @BeforeAll
    static void buildReference() {
        manager = NDManager.newBaseManager(Device.cpu());
        weights = RandomCheckpoint.stateDict(CONFIG, SEED);
        RandomCheckpoint.write(dir, CONFIG, weights);
        reference = new ReferenceOpt(CONFIG, weights);
        trace = reference.run(TOKENS, CONTINUATION, Perturbation.NONE);
        int layers = CONFIG.numLayers();
        int t = TOKENS.length - 1;
        headGrad = new double[layers][t][CONFIG.hiddenSize()];
        neuronGrad = new double[layers][t][CONFIG.ffnDim()];
        fillByFiniteDifferences(Site.HEAD_CONTEXT, headGrad);
        fillByFiniteDifferences(Site.NEURON_ACTIVATION, neuronGrad);
        refHeads = referenceHeadCriteria();
        refNeurons = referenceNeuronCriteria();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static void fillByFiniteDifferences(Site site, double[][][] out) {
        int cols = out[0][0].length;
        int t = out[0].length;
        IntStream.range(0, out.length * t * cols).parallel().forEach(i -> {
            int l = i / (t * cols);
            int r = (i / cols) % t;
            int col = i % cols;
            out[l][r][col] = centralDifference(new Perturbation(site, l, r, col, EPS));
        });
    }

    static double centralDifference(Perturbation plus) {
        Perturbation minus = new Perturbation(plus.site(), plus.layer(), plus.row(), plus.col(), -plus.delta());
        return (reference.loss(TOKENS, CONTINUATION, plus) - reference.loss(TOKENS, CONTINUATION, minus))
                / (2 * plus.delta());
    }

    private static Map<ImportanceCriterion, double[]> referenceHeadCriteria() {
        return ReferenceHeadCriteria.of(trace.context(), headGrad, CONFIG.numHeads(), CONFIG.headDim());
    }

    private static Map<ImportanceCriterion, double[]> referenceNeuronCriteria() {
        int layers = CONFIG.numLayers();
        int f = CONFIG.ffnDim();
        int e = CONFIG.hiddenSize();
        int t = TOKENS.length - 1;
        Map<ImportanceCriterion, double[]> m = new EnumMap<>(ImportanceCriterion.class);
        for (ImportanceCriterion c : ImportanceCriterion.SINGLE_PASS) {
            m.put(c, new double[layers * f]);
        }
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < f; k++) {
                double a2 = 0, fisher = 0, sum = 0, off = 0;
                double[] dw = new double[e];
                for (int i = 0; i < t; i++) {
                    double a = trace.activation()[l][i][k];
                    double g = neuronGrad[l][i][k];
                    a2 += a * a;
                    fisher += (a * g) * (a * g) / t;
                    sum += a * g;
                    off += a <= 0 ? 1 : 0;
                    double delta = trace.preActivation()[l][i][k] > 0 ? g : 0;
                    for (int j = 0; j < e; j++) {
                        dw[j] += delta * trace.ffnInput()[l][i][j];
                    }
                }
                double dw2 = 0, plain = 0;
                for (int j = 0; j < e; j++) {
                    dw2 += dw[j] * dw[j];
                    plain += Math.abs(reference.fc1(l, k, j) * dw[j]);
                }
                int u = l * f + k;
                m.get(ImportanceCriterion.L2NORM)[u] = Math.sqrt(a2);
                m.get(ImportanceCriterion.GRADNORM)[u] = Math.sqrt(dw2);
                m.get(ImportanceCriterion.PLAINACT)[u] = plain;
                m.get(ImportanceCriterion.FISHER)[u] = fisher;
                m.get(ImportanceCriterion.SNIP)[u] = Math.abs(sum);
                m.get(ImportanceCriterion.NWOT)[u] = Math.log(off / t + 1e-12);
            }
        }
        return m;
    }

    private static ExampleImportance compute(DataType type) {
        return ReferenceChecks.compute(dir, manager, type, "random", TOKENS, CONTINUATION);
    }

    private static void checkAll(ExampleImportance r, double rel, double abs) {
        ReferenceChecks.checkAll(
                r,
                new ReferenceChecks.Expected(
                        refHeads,
                        refNeurons,
                        trace.context(),
                        trace.residualIn(),
                        trace.lastLogits(),
                        trace.targetLogprobs(),
                        TOKENS,
                        CONTINUATION),
                rel,
                abs);
    }

    @Test
    void fp64CriteriaMatchFiniteDifferenceReference() {
        checkAll(compute(DataType.FLOAT64), 1e-5, 1e-7);
    }

    @Test
    void fp32CriteriaMatchFiniteDifferenceReference() {
        checkAll(compute(DataType.FLOAT32), 1e-3, 1e-6);
    }

    @Test
    void fc1WeightGradientMatchesDirectFiniteDifferences() {
        ExampleImportance r = compute(DataType.FLOAT64);
        int e = CONFIG.hiddenSize();
        for (int l = 0; l < CONFIG.numLayers(); l++) {
            for (int k : new int[] {l * 7 + 3, CONFIG.ffnDim() - 1 - l}) {
                final int layer = l;
                final int neuron = k;
                double[] dw = IntStream.range(0, e)
                        .parallel()
                        .mapToDouble(j -> centralDifference(new Perturbation(Site.FC1_WEIGHT, layer, neuron, j, EPS)))
                        .toArray();
                double norm = 0;
                double plain = 0;
                for (int j = 0; j < e; j++) {
                    norm += dw[j] * dw[j];
                    plain += Math.abs(dw[j] * reference.fc1(l, k, j));
                }
                assertClose(
                        "gradnorm layer " + l + " neuron " + k,
                        new double[] {Math.sqrt(norm)},
                        new double[] {r.neuron(ImportanceCriterion.GRADNORM)[l][k]},
                        1e-5,
                        1e-12);
                assertClose(
                        "plainact layer " + l + " neuron " + k,
                        new double[] {plain},
                        new double[] {r.neuron(ImportanceCriterion.PLAINACT)[l][k]},
                        1e-5,
                        1e-12);
            }
        }
    }
}
