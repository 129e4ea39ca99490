package org.shadowllm.bench.method;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.FeatureSource;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorKind;

/**
 * ShadowLLM or DejaVu: a trained predictor plans from the model's own features, wired as its networks'
 * {@link NetworkSpec}s say (which feature, of which layer, scores which layers). Networks planning one
 * layer at a time (DejaVu) always use per-layer budgets. Both re-plan every token, or every
 * {@code replanEvery} tokens ({@link #replanningEvery}).
 */
public final class PredictedMethod implements SparsityMethod {
    private final Method method;
    private final SparsityBudget budget;
    private final DecoderConfig config;
    private final PredictorRuntime predictor;
    private final ImportanceCriterion criterion;
    private final int replanEvery;
    /** Per feature source and layer, the networks that read it and plan some layer ≥ 1. */
    private final int[][][] readers;
    /** Per network, the layers ≥ 1 it plans: {@code [firstPlanned, endPlanned)}. */
    private final int[] firstPlanned;

    private final int[] endPlanned;

    PredictedMethod(
            Method method, SparsityBudget budget, DecoderConfig config, PredictorRuntime predictor, int replanEvery) {
        if (replanEvery < 1) {
            throw new IllegalArgumentException("re-planning interval must be ≥ 1 token, got " + replanEvery);
        }
        this.method = method;
        this.budget = budget;
        this.config = config;
        this.predictor = predictor;
        this.criterion =
                ImportanceCriterion.parse(predictor.predictor().manifest().criterion());
        this.replanEvery = replanEvery;
        List<NetworkWeights> networks = predictor.predictor().networks();
        int layers = config.numLayers();
        firstPlanned = new int[networks.size()];
        endPlanned = new int[networks.size()];
        List<List<Integer>> byFeature = new ArrayList<>();
        for (int i = 0; i < FeatureSource.values().length * layers; i++) {
            byFeature.add(new ArrayList<>());
        }
        boolean[][] planned = new boolean[2][layers];
        for (int n = 0; n < networks.size(); n++) {
            NetworkSpec spec = networks.get(n).spec();
            requireFeatureWidth(config, spec, predictor.predictor().kind());
            firstPlanned[n] = Math.max(1, spec.firstLayer());
            endPlanned[n] = Math.min(layers, spec.firstLayer() + spec.layerCount());
            if (firstPlanned[n] >= endPlanned[n]) {
                continue; // scores layer 0 only, which always runs dense
            }
            boolean ready = spec.source() == FeatureSource.RESIDUAL_IN
                    ? spec.featureLayer() <= firstPlanned[n]
                    : spec.featureLayer() < firstPlanned[n];
            if (!ready) {
                throw new IllegalArgumentException("a " + predictor.predictor().kind() + " predictor cannot plan: its "
                        + "network " + spec.name() + " reads layer " + spec.featureLayer() + "'s "
                        + spec.source()
                                .name()
                                .toLowerCase(java.util.Locale.ROOT)
                                .replace('_', ' ')
                        + ", which exists only after layer " + firstPlanned[n] + " has begun; it ranks units but "
                        + "cannot choose them before they run");
            }
            byFeature
                    .get(spec.source().ordinal() * layers + spec.featureLayer())
                    .add(n);
            for (int l = firstPlanned[n]; l < endPlanned[n]; l++) {
                planned[0][l] |= spec.heads();
                planned[1][l] |= spec.neurons();
            }
        }
        for (int l = 1; l < layers; l++) {
            if (!planned[0][l] || !planned[1][l]) {
                throw new IllegalArgumentException("a " + predictor.predictor().kind() + " predictor scores no "
                        + (planned[0][l] ? "neurons" : "heads") + " of layer " + l);
            }
        }
        readers = new int[FeatureSource.values().length][layers][];
        for (FeatureSource source : FeatureSource.values()) {
            for (int l = 0; l < layers; l++) {
                readers[source.ordinal()][l] = byFeature.get(source.ordinal() * layers + l).stream()
                        .mapToInt(Integer::intValue)
                        .toArray();
            }
        }
    }

    /**
     * Refuses a network whose input is not as wide as the feature it reads on this model: the residual stream is
     * {@code E} wide, the attention context {@code H·d} (they differ where a model's head size is not
     * {@code E / H}). Scoring a truncated or zero-padded feature would plan silently wrong.
     */
    private static void requireFeatureWidth(DecoderConfig config, NetworkSpec spec, PredictorKind kind) {
        boolean context = spec.source() == FeatureSource.ATTENTION_CONTEXT;
        int width = context ? config.attentionWidth() : config.hiddenSize();
        if (spec.inputs() != width) {
            throw new IllegalArgumentException("a " + kind + " predictor's network " + spec.name() + " reads "
                    + spec.inputs() + " values of " + (context ? "the attention context" : "the residual stream")
                    + ", which is " + width + " wide on this model"
                    + (context ? " (" + config.numHeads() + " heads of " + config.headDim() + ")" : ""));
        }
    }

    @Override
    public Method method() {
        return method;
    }

    @Override
    public SparsityBudget budget() {
        return budget;
    }

    @Override
    public ImportanceCriterion criterion() {
        return criterion;
    }

    @Override
    public PredictorRuntime predictor() {
        return predictor;
    }

    @Override
    public int replanEvery() {
        return replanEvery;
    }

    @Override
    public SparsityMethod replanningEvery(int k) {
        return new PredictedMethod(method, budget, config, predictor, k);
    }

    @Override
    public LayerPlanner live(SparseDecoderModel model, int[] context) {
        return LayerPlanner.of(tokenPlanner(predictor, model, context));
    }

    @Override
    public TokenPlanner tokenPlanner(UnitScorer scorer, SparseDecoderModel model, int[] context) {
        return new NetworkPlanner(scorer);
    }

    @Override
    public LayerPlan[] planFromContext(NDManager scope, SparseDecoderModel model, int[] context) {
        LayerPlan[] captured = new LayerPlan[config.numLayers()];
        long[] ids = Arrays.stream(context).asLongStream().toArray();
        try (NDManager s = scope.newSubManager()) {
            model.forward(
                    s,
                    Tensors.of(s, ids, new Shape(1, ids.length)),
                    LayerPlanner.recording(live(model, context), captured),
                    null);
        }
        return captured;
    }

    /**
     * Plans from the predictor's own wiring ({@link NetworkSpec}): when a feature arrives, the networks that
     * read it score their layers. Networks that together cover every layer at once (ShadowLLM) plan the
     * model under the budget; networks that cover layers one at a time (DejaVu) plan each layer with its
     * per-layer budget. A due token (every {@code replanEvery}) scores again; in between the plans stay.
     */
    private final class NetworkPlanner implements TokenPlanner {
        private final UnitScorer scorer;
        private final Scores scores = new Scores();
        private final LayerPlan[] plans = new LayerPlan[config.numLayers()];
        private final boolean[] scored = new boolean[config.numLayers()];
        private int token = -1;

        NetworkPlanner(UnitScorer scorer) {
            this.scorer = scorer;
        }

        @Override
        public boolean reads(FeatureSource source, int layer) {
            return (source == FeatureSource.RESIDUAL_IN && layer == 0) || readers[source.ordinal()][layer].length > 0;
        }

        @Override
        public void residualIn(int layer, float[] residual) {
            if (layer == 0) {
                token++;
            }
            feature(FeatureSource.RESIDUAL_IN, layer, residual);
        }

        @Override
        public void attentionContext(int layer, float[] context) {
            feature(FeatureSource.ATTENTION_CONTEXT, layer, context);
        }

        private void feature(FeatureSource source, int layer, float[] x) {
            int[] networks = readers[source.ordinal()][layer];
            if (networks.length == 0) {
                return;
            }
            int from = config.numLayers();
            int to = 0;
            for (int n : networks) {
                from = Math.min(from, firstPlanned[n]);
                to = Math.max(to, endPlanned[n]);
            }
            if (scored[from] && token % replanEvery != 0) {
                return;
            }
            for (int n : networks) {
                scorer.score(n, x, scores.heads, scores.neurons);
            }
            if (from == 1 && to == config.numLayers()) {
                for (int l = 0; l < config.numLayers(); l++) {
                    scores.split(l);
                }
                System.arraycopy(budget.select(scores.headsByLayer, scores.neuronsByLayer), 1, plans, 1, to - 1);
            } else {
                for (int l = from; l < to; l++) {
                    scores.split(l);
                    plans[l] = budget.selectLayer(scores.headsByLayer[l], scores.neuronsByLayer[l]);
                }
            }
            Arrays.fill(scored, from, to, true);
        }

        @Override
        public LayerPlan plan(int layer) {
            return plans[layer];
        }
    }

    /**
     * One token's predicted scores: flat and layer-major as the predictor writes them, and per layer as
     * budgets read them. A planner reuses one for every token of its sequence.
     */
    private final class Scores {
        final float[] heads = new float[config.numLayers() * config.numHeads()];
        final float[] neurons = new float[config.numLayers() * config.ffnDim()];
        final float[][] headsByLayer = new float[config.numLayers()][config.numHeads()];
        final float[][] neuronsByLayer = new float[config.numLayers()][config.ffnDim()];

        /** Copies layer {@code l}'s flat scores into its per-layer rows. */
        void split(int l) {
            System.arraycopy(heads, l * config.numHeads(), headsByLayer[l], 0, config.numHeads());
            System.arraycopy(neurons, l * config.ffnDim(), neuronsByLayer[l], 0, config.ffnDim());
        }
    }
}
