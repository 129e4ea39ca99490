package org.shadowllm.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.model.UnitMask;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** Random plans, their masked-dense references, and weights poisoned where plans prune. */
final class PlanFixtures {
    private PlanFixtures() {}

    static LayerPlan randomPlan(DecoderConfig c, SplittableRandom r) {
        return new LayerPlan(subset(c.numHeads(), r), subset(c.ffnDim(), r));
    }

    static int[] subset(int n, SplittableRandom r) {
        int[] all = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (r.nextInt(2) == 0) {
                all[k++] = i;
            }
        }
        return k == 0 ? new int[] {r.nextInt(n)} : Arrays.copyOf(all, k);
    }

    static UnitMask mask(DecoderConfig c, LayerPlan[] plans) {
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

    /** A copy of {@code weights} with NaN in pruned heads' Q rows and out_proj columns and pruned neurons' fc1 rows and fc2 columns. */
    static Map<String, Tensor> poison(DecoderConfig c, Map<String, Tensor> weights, LayerPlan[] plans) {
        return poison(c, weights, new LayerPlan[][] {plans}, false);
    }

    /**
     * As {@link #poison(DecoderConfig, Map, LayerPlan[])} for the units no plan of {@code perToken} keeps (layers ≥ 1);
     * with {@code kv}, those heads' K and V rows too.
     */
    static Map<String, Tensor> poison(
            DecoderConfig c, Map<String, Tensor> weights, LayerPlan[][] perToken, boolean kv) {
        Map<String, Tensor> out = new HashMap<>(weights);
        int e = c.hiddenSize();
        int d = c.headDim();
        for (int l = 1; l < c.numLayers(); l++) {
            String p = "model.decoder.layers." + l + ".";
            boolean[] keptHead = new boolean[c.numHeads()];
            boolean[] keptNeuron = new boolean[c.ffnDim()];
            for (LayerPlan[] plans : perToken) {
                for (int h : plans[l].heads()) {
                    keptHead[h] = true;
                }
                for (int k : plans[l].neurons()) {
                    keptNeuron[k] = true;
                }
            }
            String[] rowWise = kv ? new String[] {"q_proj", "k_proj", "v_proj"} : new String[] {"q_proj"};
            for (String proj : rowWise) {
                float[] w = weights.get(p + "self_attn." + proj + ".weight")
                        .values()
                        .clone();
                for (int h = 0; h < c.numHeads(); h++) {
                    if (!keptHead[h]) {
                        Arrays.fill(w, h * d * e, (h + 1) * d * e, Float.NaN);
                    }
                }
                out.put(p + "self_attn." + proj + ".weight", new Tensor(w, new long[] {e, e}));
            }
            float[] o = weights.get(p + "self_attn.out_proj.weight").values().clone();
            for (int h = 0; h < c.numHeads(); h++) {
                if (keptHead[h]) {
                    continue;
                }
                for (int row = h * d; row < (h + 1) * d; row++) {
                    for (int col = 0; col < e; col++) {
                        o[col * e + row] = Float.NaN;
                    }
                }
            }
            float[] fc1 = weights.get(p + "fc1.weight").values().clone();
            float[] fc2 = weights.get(p + "fc2.weight").values().clone();
            for (int k = 0; k < c.ffnDim(); k++) {
                if (keptNeuron[k]) {
                    continue;
                }
                for (int col = 0; col < e; col++) {
                    fc1[k * e + col] = Float.NaN;
                    fc2[col * c.ffnDim() + k] = Float.NaN;
                }
            }
            out.put(p + "self_attn.out_proj.weight", new Tensor(o, new long[] {e, e}));
            out.put(p + "fc1.weight", new Tensor(fc1, new long[] {c.ffnDim(), e}));
            out.put(p + "fc2.weight", new Tensor(fc2, new long[] {e, c.ffnDim()}));
        }
        return out;
    }

    /** Masks each position's heads and neurons by that position's plan, computing K and V for all heads. */
    static LayerTap perPositionMasks(NDManager s, DecoderConfig c, LayerPlan[][] plans) {
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
