package org.shadowllm.bench.method;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.predictor.PredictorKind;
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
 * DejaVu plans each layer as it is reached, so it always uses per-layer budgets. Predicted methods
 * re-plan every token, or every {@code replanEvery} tokens ({@link #replanningEvery}).
 */
public final class SparsityMethod {
    private final Method method;
    private final SparsityBudget budget;
    private final OptConfig config;
    private final LayerPlan[] staticPlans;
    private final PredictorRuntime predictor;
    private final ImportanceCriterion criterion;
    private final int replanEvery;

    private SparsityMethod(Method method, SparsityBudget budget, OptConfig config, LayerPlan[] staticPlans,
                           PredictorRuntime predictor, ImportanceCriterion criterion, int replanEvery) {
        if (replanEvery < 1) {
            throw new IllegalArgumentException("re-planning interval must be ≥ 1 token, got " + replanEvery);
        }
        this.method = method;
        this.budget = budget;
        this.config = config;
        this.staticPlans = staticPlans;
        this.predictor = predictor;
        this.criterion = criterion;
        this.replanEvery = replanEvery;
    }

    public static SparsityMethod dense(OptConfig config) {
        return new SparsityMethod(Method.DENSE, new SparsityBudget(0, SparsityBudget.Scope.PER_LAYER, 1, 1), config,
                null, null, null, 1);
    }

    /** {@code headScores [L][H]}, {@code neuronScores [L][F]}: the set-level {@code criterion} of every unit. */
    public static SparsityMethod staticMask(OptConfig config, SparsityBudget budget, ImportanceCriterion criterion,
                                            float[][] headScores, float[][] neuronScores) {
        return new SparsityMethod(Method.STATIC, budget, config, budget.select(headScores, neuronScores), null,
                criterion, 1);
    }

    /** A mask drawn once from {@code seed}: uniform random scores for every unit, under {@code budget}. */
    public static SparsityMethod randomMask(OptConfig config, SparsityBudget budget, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[][] heads = new float[config.numLayers()][config.numHeads()];
        float[][] neurons = new float[config.numLayers()][config.ffnDim()];
        for (float[][] scores : new float[][][] {heads, neurons}) {
            for (float[] layer : scores) {
                for (int i = 0; i < layer.length; i++) {
                    layer[i] = (float) r.nextDouble();
                }
            }
        }
        return new SparsityMethod(Method.RANDOM, budget, config, budget.select(heads, neurons), null, null, 1);
    }

    public static SparsityMethod predicted(Method method, OptConfig config, SparsityBudget budget,
                                           PredictorRuntime predictor) {
        if (method != Method.SHADOWLLM && method != Method.DEJAVU) {
            throw new IllegalArgumentException(method + " does not use a predictor");
        }
        PredictorKind kind = predictor.predictor().kind();
        boolean fits = method == Method.DEJAVU ? kind == PredictorKind.DEJAVU
                : kind == PredictorKind.SHADOWLLM || kind == PredictorKind.SHADOWLLM_SPLIT;
        if (!fits) {
            throw new IllegalArgumentException(method + " cannot run a " + kind + " predictor");
        }
        return new SparsityMethod(method, budget, config, null, predictor,
                ImportanceCriterion.parse(predictor.predictor().manifest().criterion()), 1);
    }

    public static SparsityMethod oracle(OptConfig config, SparsityBudget budget, ImportanceCriterion criterion) {
        return new SparsityMethod(Method.ORACLE, budget, config, null, null, criterion, 1);
    }

    /**
     * This predicted method, predicting at a sequence's first decoded token and again every {@code k} tokens
     * instead of every token; the plan in between is reused.
     */
    public SparsityMethod replanningEvery(int k) {
        if (predictor == null) {
            throw new IllegalArgumentException(method + " has no predictor to re-plan with");
        }
        return new SparsityMethod(method, budget, config, null, predictor, criterion, k);
    }

    /** The criterion behind this method's scores; null for dense and random. */
    public ImportanceCriterion criterion() {
        return criterion;
    }

    /** Plans fixed for every input (static, random), else null. */
    public LayerPlan[] fixedPlans() {
        return staticPlans;
    }

    public int replanEvery() {
        return replanEvery;
    }

    /** The method's key, with {@code -replan<k>} when it re-plans every k > 1 tokens. */
    public String label() {
        return replanEvery == 1 ? method.key() : method.key() + "-replan" + replanEvery;
    }

    /** This method's predictor as {@code engine} runs it (converted once per engine), or null if it has none. */
    public UnitScorer scorerOn(org.shadowllm.bench.engine.DecodeEngine engine) {
        return predictor == null ? null : engine.predictor(predictor.predictor());
    }

    /** The loaded predictor of a predicted method, else null. */
    public PredictorRuntime predictor() {
        return predictor;
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
            case STATIC, RANDOM, ORACLE -> {
                TokenPlanner fixed = tokenPlanner(null, model, context);
                yield fixed::plan;
            }
            case SHADOWLLM, DEJAVU -> LayerPlanner.of(tokenPlanner(predictor, model, context));
        };
    }

    /**
     * This method's planner over plain-array features, as the decode engine runs it: predicted methods score
     * with {@code scorer} (the engine's copy of this method's predictor, or the DJL one); static and oracle
     * plans are fixed for the sequence.
     */
    public TokenPlanner tokenPlanner(UnitScorer scorer, SparseOptModel model, int[] context) {
        return switch (method) {
            case DENSE -> TokenPlanner.DENSE;
            case STATIC, RANDOM -> fixed(staticPlans);
            case ORACLE -> fixed(oraclePlans(model, context));
            case SHADOWLLM -> new ShadowPlanner(scorer);
            case DEJAVU -> new DejaVuPlanner(scorer);
        };
    }

    /** One plan per layer for a sequence, decided from {@code context} alone (index 0: null, dense). */
    public LayerPlan[] planFromContext(NDManager scope, SparseOptModel model, int[] context) {
        switch (method) {
            case DENSE:
                return new LayerPlan[config.numLayers()];
            case STATIC:
            case RANDOM:
                return staticPlans;
            case ORACLE:
                return oraclePlans(model, context);
            default:
                LayerPlan[] captured = new LayerPlan[config.numLayers()];
                long[] ids = java.util.Arrays.stream(context).asLongStream().toArray();
                try (NDManager s = scope.newSubManager()) {
                    model.forward(s, Tensors.of(s, ids, new Shape(1, ids.length)),
                            LayerPlanner.recording(live(model, context), captured), null);
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
                new CriteriaOptions(Set.of(criterion), false, false)).get(0);
        return budget.select(truth.head(criterion), truth.neuron(criterion));
    }

    private static TokenPlanner fixed(LayerPlan[] plans) {
        return layer -> plans[layer];
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
