package org.shadowllm.bench.method;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.Tensors;

import java.util.Arrays;

/**
 * ShadowLLM or DejaVu: a trained predictor plans from the model's own features. DejaVu plans each layer
 * as it is reached, so it always uses per-layer budgets. Both re-plan every token, or every
 * {@code replanEvery} tokens ({@link #replanningEvery}).
 */
public final class PredictedMethod implements SparsityMethod {
    private final Method method;
    private final SparsityBudget budget;
    private final OptConfig config;
    private final PredictorRuntime predictor;
    private final ImportanceCriterion criterion;
    private final int replanEvery;

    PredictedMethod(Method method, SparsityBudget budget, OptConfig config, PredictorRuntime predictor,
                    int replanEvery) {
        if (replanEvery < 1) {
            throw new IllegalArgumentException("re-planning interval must be ≥ 1 token, got " + replanEvery);
        }
        this.method = method;
        this.budget = budget;
        this.config = config;
        this.predictor = predictor;
        this.criterion = ImportanceCriterion.parse(predictor.predictor().manifest().criterion());
        this.replanEvery = replanEvery;
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
    public LayerPlanner live(SparseOptModel model, int[] context) {
        return LayerPlanner.of(tokenPlanner(predictor, model, context));
    }

    @Override
    public TokenPlanner tokenPlanner(UnitScorer scorer, SparseOptModel model, int[] context) {
        return method == Method.SHADOWLLM ? new ShadowPlanner(scorer) : new DejaVuPlanner(scorer);
    }

    @Override
    public LayerPlan[] planFromContext(NDManager scope, SparseOptModel model, int[] context) {
        LayerPlan[] captured = new LayerPlan[config.numLayers()];
        long[] ids = Arrays.stream(context).asLongStream().toArray();
        try (NDManager s = scope.newSubManager()) {
            model.forward(s, Tensors.of(s, ids, new Shape(1, ids.length)),
                    LayerPlanner.recording(live(model, context), captured), null);
        }
        return captured;
    }

    /** Counts tokens (layer 0's residual starts one) and says when a predicted plan is due. */
    private abstract class Replanning implements TokenPlanner {
        final UnitScorer scorer;
        final Scores scores = new Scores();
        private int token = -1;

        Replanning(UnitScorer scorer) {
            this.scorer = scorer;
        }

        void countToken(int layer) {
            if (layer == 0) {
                token++;
            }
        }

        boolean due() {
            return token % replanEvery == 0;
        }
    }

    /**
     * Scores the whole model from layer 0's attention context, once per due token: one network, or the
     * split design's heads and neurons networks.
     */
    private final class ShadowPlanner extends Replanning {
        private LayerPlan[] plans;

        ShadowPlanner(UnitScorer scorer) {
            super(scorer);
        }

        @Override
        public void residualIn(int layer, float[] residual) {
            countToken(layer);
        }

        @Override
        public void attentionContext(int layer, float[] context) {
            if (layer != 0 || (plans != null && !due())) {
                return;
            }
            for (int n : scorer.networksFor(0)) {
                scorer.score(n, context, scores.heads, scores.neurons);
            }
            for (int l = 0; l < config.numLayers(); l++) {
                scores.split(l);
            }
            plans = budget.select(scores.headsByLayer, scores.neuronsByLayer);
        }

        @Override
        public LayerPlan plan(int layer) {
            return plans[layer];
        }
    }

    /** Scores layer l from the residual stream entering layer l-1 (look-ahead), as that layer is reached. */
    private final class DejaVuPlanner extends Replanning {
        private final LayerPlan[] plans = new LayerPlan[config.numLayers()];

        DejaVuPlanner(UnitScorer scorer) {
            super(scorer);
        }

        @Override
        public void residualIn(int layer, float[] residual) {
            countToken(layer);
            int target = layer + 1;
            if (target >= config.numLayers() || (plans[target] != null && !due())) {
                return;
            }
            for (int n : scorer.networksFor(target)) {
                scorer.score(n, residual, scores.heads, scores.neurons);
            }
            scores.split(target);
            plans[target] = budget.selectLayer(scores.headsByLayer[target], scores.neuronsByLayer[target]);
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
