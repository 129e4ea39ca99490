package org.shadowllm.bench.sparse;

import java.util.List;
import java.util.Locale;
import org.shadowllm.common.Keyed;
import org.shadowllm.common.predictor.TopK;
import org.shadowllm.common.predictor.UnitLayout;

/**
 * How many units to keep, and which, given per-unit scores. Sparsity is the fraction of heads (and,
 * separately, of neurons) removed from layers 1..L-1; layer 0 always runs dense.
 * <ul>
 * <li>{@code PER_LAYER}: every layer keeps {@code round((1-s)·H)} heads and {@code round((1-s)·F)}
 * neurons (at least one of each), its own top-scored ones.</li>
 * <li>{@code GLOBAL}: one budget for all those layers, ranked on per-layer min-max normalized scores;
 * each layer first keeps its top {@code minHeads} heads and {@code minNeurons} neurons (the paper's
 * hybrid floor), so the sparsity reached can be lower than asked at high sparsity.</li>
 * <li>{@code GLOBAL_RAW}: the paper's static variant: one ranking of the raw scores across layers, no
 * per-layer scaling and no floor beyond the one head and one neuron a layer needs to run.</li>
 * </ul>
 * {@code prune} says which units the budget applies to; the other type is kept whole (the paper's quality
 * numbers prune heads only).
 */
public record SparsityBudget(double sparsity, Scope scope, int minHeads, int minNeurons, Prune prune)
        implements java.io.Serializable {
    public enum Scope implements Keyed {
        GLOBAL("global"),
        PER_LAYER("per-layer", "per_layer", "layer"),
        GLOBAL_RAW("global-raw", "global_raw");

        private final String key;
        private final List<String> aliases;

        Scope(String key, String... aliases) {
            this.key = key;
            this.aliases = List.of(aliases);
        }

        public static Scope parse(String s) {
            return Keyed.parse(Scope.class, s);
        }

        @Override
        public String key() {
            return key;
        }

        /** The spellings the bench took before the keys were settled. */
        @Override
        public List<String> aliases() {
            return aliases;
        }
    }

    /** Which units a budget removes. */
    public enum Prune implements Keyed {
        HEADS,
        NEURONS,
        BOTH;

        public static Prune parse(String s) {
            return Keyed.parse(Prune.class, s);
        }

        @Override
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean heads() {
            return this != NEURONS;
        }

        boolean neurons() {
            return this != HEADS;
        }
    }

    public static final double MAX_SPARSITY = 0.95;

    public SparsityBudget {
        if (!(sparsity >= 0 && sparsity <= MAX_SPARSITY)) {
            throw new IllegalArgumentException("sparsity must be in [0, " + MAX_SPARSITY + "], got " + sparsity);
        }
        if (minHeads < 1 || minNeurons < 1) {
            throw new IllegalArgumentException("floors must keep at least one head and one neuron per layer");
        }
        if (scope == null || prune == null) {
            throw new IllegalArgumentException("a budget needs a scope and the units it prunes");
        }
    }

    /** A budget on heads and neurons both. */
    public SparsityBudget(double sparsity, Scope scope, int minHeads, int minNeurons) {
        this(sparsity, scope, minHeads, minNeurons, Prune.BOTH);
    }

    /** The scope's key, with the pruned units when only one type is: {@code global}, {@code per-layer, heads only}. */
    public String describe() {
        return prune == Prune.BOTH ? scope.key() : scope.key() + ", " + prune.key() + " only";
    }

    /** The paper's floor, one head and 256 neurons, capped at an eighth of the FFN for small models. */
    public static int defaultMinNeurons(int ffn) {
        return Math.max(1, Math.min(256, ffn / 8));
    }

    /** Plans for every layer (index 0 is null: dense) from scores {@code [L][H]} and {@code [L][F]}. */
    public LayerPlan[] select(float[][] headScores, float[][] neuronScores) {
        int layers = headScores.length;
        LayerPlan[] plans = new LayerPlan[layers];
        if (layers < 2) {
            return plans;
        }
        int[][] heads = prune.heads() ? choose(headScores, minHeads) : all(layers, headScores[0].length);
        int[][] neurons = prune.neurons() ? choose(neuronScores, minNeurons) : all(layers, neuronScores[0].length);
        for (int l = 1; l < layers; l++) {
            plans[l] = new LayerPlan(heads[l], neurons[l]);
        }
        return plans;
    }

    /** The plan for one layer by its own scores, as {@code PER_LAYER} would choose it. */
    public LayerPlan selectLayer(float[] headScores, float[] neuronScores) {
        int h = prune.heads() ? keep(headScores.length, 1) : headScores.length;
        int n = prune.neurons() ? keep(neuronScores.length, 1) : neuronScores.length;
        return new LayerPlan(top(headScores, h), top(neuronScores, n));
    }

    /** Every unit of every layer. */
    private static int[][] all(int layers, int per) {
        int[] every = java.util.stream.IntStream.range(0, per).toArray();
        int[][] out = new int[layers][];
        java.util.Arrays.fill(out, every);
        return out;
    }

    private int keep(int units, int floor) {
        return (int) Math.min(units, Math.max(floor, Math.round((1 - sparsity) * units)));
    }

    private int[][] choose(float[][] scores, int floor) {
        int layers = scores.length;
        int per = scores[0].length;
        int[][] kept = new int[layers][];
        if (scope == Scope.PER_LAYER) {
            for (int l = 1; l < layers; l++) {
                kept[l] = top(scores[l], keep(per, 1));
            }
            return kept;
        }
        int f = Math.min(scope == Scope.GLOBAL_RAW ? 1 : floor, per);
        int total = (int) Math.round((1 - sparsity) * (layers - 1) * per);
        boolean[] chosen = new boolean[(layers - 1) * per];
        int used = 0;
        for (int l = 1; l < layers; l++) {
            used += TopK.mark(scores[l], 0, per, f, chosen, (l - 1) * per);
        }
        // The rest of the budget goes to the best of the others, on per-layer min-max normalized scores
        // (raw scores for GLOBAL_RAW).
        long[] keys = new long[chosen.length - used];
        float[] norm = new float[per];
        int n = 0;
        for (int l = 1; l < layers; l++) {
            System.arraycopy(scores[l], 0, norm, 0, per);
            if (scope != Scope.GLOBAL_RAW) {
                UnitLayout.minMax(norm, 0, per);
            }
            for (int i = 0; i < per; i++) {
                int g = (l - 1) * per + i;
                if (!chosen[g]) {
                    keys[n++] = TopK.key(norm[i], g);
                }
            }
        }
        int more = Math.max(0, Math.min(total - used, n));
        TopK.selectSmallest(keys, n, more);
        for (int j = 0; j < more; j++) {
            chosen[TopK.index(keys[j])] = true;
        }
        for (int l = 1; l < layers; l++) {
            kept[l] = ascending(chosen, (l - 1) * per, per);
        }
        return kept;
    }

    /** Indices {@code i < n} with {@code chosen[from + i]}, ascending. */
    private static int[] ascending(boolean[] chosen, int from, int n) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            count += chosen[from + i] ? 1 : 0;
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (chosen[from + i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Indices of the {@code k} highest scores, ties to the lower index, ascending. */
    static int[] top(float[] scores, int k) {
        boolean[] chosen = new boolean[scores.length];
        TopK.mark(scores, 0, scores.length, k, chosen, 0);
        return ascending(chosen, 0, scores.length);
    }

    /** Fraction of layers 1..L-1's heads and neurons that {@code plans} remove: {@code [heads, neurons]}. */
    public static double[] achieved(LayerPlan[] plans, int heads, int ffn) {
        long h = 0;
        long n = 0;
        int counted = 0;
        for (int l = 1; l < plans.length; l++) {
            counted++;
            h += plans[l] == null ? heads : plans[l].headCount();
            n += plans[l] == null ? ffn : plans[l].neuronCount();
        }
        if (counted == 0) {
            return new double[] {0, 0};
        }
        return new double[] {1 - h / (double) (counted * heads), 1 - n / (double) (counted * ffn)};
    }
}
