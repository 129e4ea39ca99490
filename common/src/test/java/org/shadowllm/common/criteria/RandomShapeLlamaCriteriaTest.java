package org.shadowllm.common.criteria;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.shadowllm.common.ReferenceLlama;
import org.shadowllm.common.ReferenceLlama.Perturbation;
import org.shadowllm.common.ReferenceLlama.Site;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * A seeded random Llama whose shape tiny-random-llama does not cover: heads narrower than
 * {@code hidden / heads} (6 query heads of 12 in a 96-wide stream, so {@code H·d = 72 ≠ 96}), 3 query heads
 * per K/V head, FFN 200, untied head, rope_theta 5000, RMS eps 1e-5. Written to disk and loaded through
 * {@link ModelCheckpoint} (so the loader must keep {@code H·d} and hidden apart), then checked criterion by
 * criterion against {@link ReferenceLlama}: loops in float64, gradients by central finite differences of
 * the loss, one perturbed value at a time.
 */
class RandomShapeLlamaCriteriaTest {
    static final DecoderConfig CONFIG = DecoderConfig.builder(ModelFamily.LLAMA)
            .shape(61, 96, 3, 6, 200)
            .kvHeads(2)
            .headDim(12)
            .maxPositions(40)
            .tieWordEmbeddings(false)
            .normEps(1e-5)
            .ropeTheta(5000)
            .specialTokens(0, 1, 1)
            .build();
    static final long SEED = 20240817L;
    static final int[] TOKENS = {0, 17, 42, 5, 33, 8, 59, 21, 3};
    static final int CONTINUATION = 3;
    private static final double EPS = 1e-5;

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static ReferenceLlama reference;
    private static ReferenceLlama.Trace trace;
    private static double[][][] headGrad;
    private static double[][][] neuronGrad;
    private static Map<ImportanceCriterion, double[]> refHeads;
    private static Map<ImportanceCriterion, double[]> refNeurons;

    @BeforeAll
    static void buildReference() {
        manager = NDManager.newBaseManager(Device.cpu());
        Map<String, Tensor> weights = RandomCheckpoint.stateDict(CONFIG, SEED);
        RandomCheckpoint.write(dir, CONFIG, weights);
        reference = new ReferenceLlama(CONFIG, weights);
        trace = reference.run(TOKENS, CONTINUATION, Perturbation.NONE);
        int layers = CONFIG.numLayers();
        int t = TOKENS.length - 1;
        headGrad = new double[layers][t][CONFIG.attentionWidth()];
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
        return (reference.loss(TOKENS, CONTINUATION, plus) - reference.loss(TOKENS, CONTINUATION, plus.negated()))
                / (2 * plus.delta());
    }

    private static Map<ImportanceCriterion, double[]> referenceHeadCriteria() {
        return ReferenceHeadCriteria.of(trace.context(), headGrad, CONFIG.numHeads(), CONFIG.headDim());
    }

    /**
     * Neuron criteria from the finite-difference {@code g = ∂L/∂a}; the input-weight gradient by the chain
     * rule through {@code a = silu(z_gate)·z_up} (checked against direct finite differences below).
     */
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
                double[] dw = new double[2 * e];
                for (int i = 0; i < t; i++) {
                    double a = trace.activation()[l][i][k];
                    double g = neuronGrad[l][i][k];
                    a2 += a * a;
                    fisher += (a * g) * (a * g) / t;
                    sum += a * g;
                    off += a <= 0 ? 1 : 0;
                    double z = trace.gate()[l][i][k];
                    double sig = 1 / (1 + Math.exp(-z));
                    double dGate = g * trace.up()[l][i][k] * sig * (1 + z * (1 - sig));
                    double dUp = g * z * sig;
                    for (int j = 0; j < e; j++) {
                        dw[j] += dGate * trace.ffnInput()[l][i][j];
                        dw[e + j] += dUp * trace.ffnInput()[l][i][j];
                    }
                }
                double dw2 = 0, plain = 0;
                for (int j = 0; j < 2 * e; j++) {
                    dw2 += dw[j] * dw[j];
                    plain += Math.abs(reference.neuronInputWeight(l, k, j) * dw[j]);
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
        return ReferenceChecks.compute(dir, manager, type, "random-llama", TOKENS, CONTINUATION);
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
    void loaderReadsBackTheShapeWithHeadWidthApartFromHidden() {
        DecoderConfig read = ModelCheckpoint.readConfig(dir);
        assertEquals(CONFIG, read);
        assertEquals(72, read.attentionWidth());
        assertEquals(24, read.kvWidth());
        assertEquals(3, read.groupSize());
    }

    @Test
    void fp64CriteriaMatchFiniteDifferenceReference() {
        checkAll(compute(DataType.FLOAT64), 1e-5, 1e-7);
    }

    @Test
    void fp32CriteriaMatchFiniteDifferenceReference() {
        checkAll(compute(DataType.FLOAT32), 1e-3, 1e-6);
    }

    /** gradnorm and plainact of a neuron span its 2E input weights: the gate row, then the up row. */
    @Test
    void neuronInputWeightGradientMatchesDirectFiniteDifferences() {
        ExampleImportance r = compute(DataType.FLOAT64);
        int width = 2 * CONFIG.hiddenSize();
        for (int l = 0; l < CONFIG.numLayers(); l++) {
            for (int k : new int[] {l * 7 + 3, CONFIG.ffnDim() - 1 - l}) {
                final int layer = l;
                final int neuron = k;
                double[] dw = IntStream.range(0, width)
                        .parallel()
                        .mapToDouble(j ->
                                centralDifference(new Perturbation(Site.NEURON_INPUT_WEIGHT, layer, neuron, j, EPS)))
                        .toArray();
                double norm = 0;
                double plain = 0;
                for (int j = 0; j < width; j++) {
                    norm += dw[j] * dw[j];
                    plain += Math.abs(dw[j] * reference.neuronInputWeight(l, k, j));
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
