package org.shadowllm.bench.sparse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.shadowllm.common.checkpoint.TensorLayout;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.model.UnitMask;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** Random plans, their masked-dense references, and weights poisoned where plans prune. */
public final class PlanFixtures {
    private PlanFixtures() {}

    public static LayerPlan randomPlan(DecoderConfig c, SplittableRandom r) {
        return new LayerPlan(subset(c.numHeads(), r), subset(c.ffnDim(), r));
    }

    public static int[] subset(int n, SplittableRandom r) {
        int[] all = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (r.nextInt(2) == 0) {
                all[k++] = i;
            }
        }
        return k == 0 ? new int[] {r.nextInt(n)} : Arrays.copyOf(all, k);
    }

    public static UnitMask mask(DecoderConfig c, LayerPlan[] plans) {
        float[][] h = new float[c.numLayers()][c.numHeads()];
        float[][] n = new float[c.numLayers()][c.ffnDim()];
        for (int l = 0; l < c.numLayers(); l++) {
            if (plans[l] == null) {
                Arrays.fill(h[l], 1f);
                Arrays.fill(n[l], 1f);
                continue;
            }
            for (int i : plans[l].heads()) {
                h[l][i] = 1f;
            }
            for (int i : plans[l].neurons()) {
                n[l][i] = 1f;
            }
        }
        return new UnitMask(h, n);
    }

    /**
     * A copy of {@code weights} with NaN in pruned heads' Q rows and output-projection columns and pruned neurons'
     * input rows (fc1; gate and up) and output columns (fc2; down).
     */
    public static Map<String, Tensor> poison(DecoderConfig c, Map<String, Tensor> weights, LayerPlan[] plans) {
        return poison(c, weights, new LayerPlan[][] {plans}, false);
    }

    /**
     * As {@link #poison(DecoderConfig, Map, LayerPlan[])} for the units no plan of {@code perToken} keeps (layers ≥ 1);
     * with {@code kv}, the K and V rows of every K/V group none of whose query heads is kept too.
     */
    public static Map<String, Tensor> poison(
            DecoderConfig c, Map<String, Tensor> weights, LayerPlan[][] perToken, boolean kv) {
        Map<String, Tensor> out = new HashMap<>(weights);
        TensorLayout names = TensorLayout.canonical(c);
        int e = c.hiddenSize();
        int d = c.headDim();
        int f = c.ffnDim();
        for (int l = 1; l < c.numLayers(); l++) {
            TensorLayout.Layer n = names.layers().get(l);
            boolean[] keptHead = new boolean[c.numHeads()];
            boolean[] keptGroup = new boolean[c.numKvHeads()];
            boolean[] keptNeuron = new boolean[f];
            for (LayerPlan[] plans : perToken) {
                for (int h : plans[l].heads()) {
                    keptHead[h] = true;
                    keptGroup[c.kvHeadOf(h)] = true;
                }
                for (int k : plans[l].neurons()) {
                    keptNeuron[k] = true;
                }
            }
            poisonRows(out, n.qkv().get(0), keptHead, d, e);
            if (kv) {
                poisonRows(out, n.qkv().get(1), keptGroup, d, e);
                poisonRows(out, n.qkv().get(2), keptGroup, d, e);
            }
            poisonColumns(out, n.out(), keptHead, d, e, c.attentionWidth());
            for (String in : n.neuronIn()) {
                poisonRows(out, in, keptNeuron, 1, e);
            }
            poisonColumns(out, n.neuronOut(), keptNeuron, 1, e, f);
        }
        return out;
    }

    /** NaN in rows {@code [u·per, (u+1)·per)} of {@code name} ({@code [units·per, width]}) for each unit not kept. */
    private static void poisonRows(Map<String, Tensor> out, String name, boolean[] kept, int per, int width) {
        Tensor t = out.get(name);
        float[] w = t.values().clone();
        for (int u = 0; u < kept.length; u++) {
            if (!kept[u]) {
                Arrays.fill(w, u * per * width, (u + 1) * per * width, Float.NaN);
            }
        }
        out.put(name, new Tensor(w, t.shape()));
    }

    /** NaN in columns {@code [u·per, (u+1)·per)} of {@code name} ({@code [rows, columns]}) for each unit not kept. */
    private static void poisonColumns(
            Map<String, Tensor> out, String name, boolean[] kept, int per, int rows, int columns) {
        Tensor t = out.get(name);
        float[] w = t.values().clone();
        for (int u = 0; u < kept.length; u++) {
            if (kept[u]) {
                continue;
            }
            for (int col = u * per; col < (u + 1) * per; col++) {
                for (int row = 0; row < rows; row++) {
                    w[row * columns + col] = Float.NaN;
                }
            }
        }
        out.put(name, new Tensor(w, t.shape()));
    }

    /** Masks each position's heads and neurons by that position's plan, computing K and V for all heads. */
    public static LayerTap perPositionMasks(NDManager s, DecoderConfig c, LayerPlan[][] plans) {
        int layers = c.numLayers();
        NDArray[] heads = new NDArray[layers];
        NDArray[] neurons = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            float[] h = new float[plans.length * c.numHeads()];
            float[] n = new float[plans.length * c.ffnDim()];
            for (int t = 0; t < plans.length; t++) {
                UnitMask mask = mask(c, plans[t]);
                System.arraycopy(mask.heads()[l], 0, h, t * c.numHeads(), c.numHeads());
                System.arraycopy(mask.neurons()[l], 0, n, t * c.ffnDim(), c.ffnDim());
            }
            heads[l] = Tensors.of(s, h, new Shape(1, plans.length, c.numHeads(), 1));
            neurons[l] = Tensors.of(s, n, new Shape(1, plans.length, c.ffnDim()));
        }
        return new LayerTap() {
            @Override
            public NDArray attentionContext(int layer, NDArray context) {
                return context.mul(heads[layer]);
            }

            @Override
            public NDArray ffnActivation(int layer, NDArray activation, NDArray ffnInput) {
                return activation.mul(neurons[layer]);
            }
        };
    }
}
