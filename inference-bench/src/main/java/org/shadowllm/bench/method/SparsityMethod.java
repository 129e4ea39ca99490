package org.shadowllm.bench.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.Tensors;

import java.util.List;
import java.util.Set;

/**
 * A method at one sparsity budget: how it plans layers for a sequence.
 * <ul>
 * <li>{@link #live()} plans during every forward pass (decoding: predictors run per token);</li>
 * <li>{@link #planFromContext} fixes one plan per sequence from its context only, for scoring: the
 * predictors read the context's last token, the oracle scores the context with the true criterion.</li>
 * </ul>
 * DejaVu plans each layer as it is reached, so it always uses per-layer budgets.
 */
public final class SparsityMethod {
    private final Method method;
    private final SparsityBudget budget;
    private final OptConfig config;
    private final LayerPlan[] staticPlans;
    private final PredictorRuntime predictor;
    private final ImportanceCriterion oracleCriterion;

    private SparsityMethod(Method method, SparsityBudget budget, OptConfig config, LayerPlan[] staticPlans,
                           PredictorRuntime predictor, ImportanceCriterion oracleCriterion) {
        this.method = method;
        this.budget = budget;
        this.config = config;
        this.staticPlans = staticPlans;
        this.predictor = predictor;
        this.oracleCriterion = oracleCriterion;
    }

    public static SparsityMethod dense(OptConfig config) {
        return new SparsityMethod(Method.DENSE, new SparsityBudget(0, SparsityBudget.Scope.PER_LAYER, 1, 1), config,
                null, null, null);
    }

    /** {@code headScores [L][H]}, {@code neuronScores [L][F]}: the set-level criterion of every unit. */
    public static SparsityMethod staticMask(OptConfig config, SparsityBudget budget, float[][] headScores,
                                            float[][] neuronScores) {
        return new SparsityMethod(Method.STATIC, budget, config, budget.select(headScores, neuronScores), null, null);
    }

    public static SparsityMethod predicted(Method method, OptConfig config, SparsityBudget budget,
                                           PredictorRuntime predictor) {
        if (method != Method.SHADOWLLM && method != Method.DEJAVU) {
            throw new IllegalArgumentException(method + " does not use a predictor");
        }
        return new SparsityMethod(method, budget, config, null, predictor, null);
    }

    public static SparsityMethod oracle(OptConfig config, SparsityBudget budget, ImportanceCriterion criterion) {
        return new SparsityMethod(Method.ORACLE, budget, config, null, null, criterion);
    }

    public Method method() {
        return method;
    }

    public SparsityBudget budget() {
        return budget;
    }

    /** A planner that predicts during each forward pass. For static and oracle it is their fixed plan. */
    public LayerPlanner live(SparseOptModel model, int[] context) {
        return switch (method) {
            case DENSE -> LayerPlanner.DENSE;
            case STATIC -> fixed(staticPlans);
            case ORACLE -> fixed(oraclePlans(model, context));
            case SHADOWLLM -> new ShadowPlanner();
            case DEJAVU -> new DejaVuPlanner();
        };
    }

    /** One plan per layer for a sequence, decided from {@code context} alone (index 0: null, dense). */
    public LayerPlan[] planFromContext(NDManager scope, SparseOptModel model, int[] context) {
        switch (method) {
            case DENSE:
                return new LayerPlan[config.numLayers()];
            case STATIC:
                return staticPlans;
            case ORACLE:
                return oraclePlans(model, context);
            default:
                LayerPlan[] captured = new LayerPlan[config.numLayers()];
                LayerPlanner live = live(model, context);
                long[] ids = new long[context.length];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = context[i];
                }
                try (NDManager s = scope.newSubManager()) {
                    model.forward(s, Tensors.of(s, ids, new Shape(1, ids.length)), new LayerPlanner() {
                        @Override
                        public void residualIn(int layer, NDArray residual) {
                            live.residualIn(layer, residual);
                        }

                        @Override
                        public void attentionContext(int layer, NDArray context) {
                            live.attentionContext(layer, context);
                        }

                        @Override
                        public LayerPlan plan(int layer) {
                            captured[layer] = live.plan(layer);
                            return captured[layer];
                        }
                    }, null);
                }
                return captured;
        }
    }

    private LayerPlan[] oraclePlans(SparseOptModel model, int[] context) {
        if (context.length < 2) {
            throw new IllegalArgumentException("the oracle needs a context of at least 2 tokens");
        }
        ExampleImportance truth = new CriteriaCalculator(model.model()).compute(
                List.of(new ScoredExample("oracle", context, 1)),
                new CriteriaOptions(Set.of(oracleCriterion), false, false)).get(0);
        return budget.select(truth.head(oracleCriterion), truth.neuron(oracleCriterion));
    }

    private static LayerPlanner fixed(LayerPlan[] plans) {
        return layer -> plans[layer];
    }

    /** Scores the whole model once per forward pass, from layer 0's attention context. */
    private final class ShadowPlanner implements LayerPlanner {
        private final Scores scores = new Scores();
        private LayerPlan[] plans;

        @Override
        public void attentionContext(int layer, NDArray context) {
            if (layer != 0) {
                return;
            }
            try (NDManager s = context.getManager().newSubManager()) {
                predictor.score(s, 0, context, scores.heads, scores.neurons);
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
    private final class DejaVuPlanner implements LayerPlanner {
        private final Scores scores = new Scores();
        private final LayerPlan[] plans = new LayerPlan[config.numLayers()];

        @Override
        public void residualIn(int layer, NDArray residual) {
            int target = layer + 1;
            if (target >= config.numLayers()) {
                return;
            }
            try (NDManager s = residual.getManager().newSubManager()) {
                for (int n : predictor.networksFor(target)) {
                    predictor.score(s, n, residual, scores.heads, scores.neurons);
                }
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
