package org.shadowllm.bench.method;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.PredictorKind;

/**
 * A method at one sparsity budget: how it plans layers for a sequence. One implementation per kind of
 * method: {@link Dense}, {@link FixedMask} (static and random), {@link Oracle}, {@link PredictedMethod}
 * (ShadowLLM and DejaVu).
 * <ul>
 * <li>{@link #live} plans during every forward pass (decoding: predictors run per token);</li>
 * <li>{@link #planFromContext} fixes one plan per sequence from its context only, for scoring: the
 * predictors read the context's last token, the oracle scores the context with the true criterion.</li>
 * </ul>
 */
public sealed interface SparsityMethod
        permits SparsityMethod.Dense, SparsityMethod.FixedMask, SparsityMethod.Oracle, PredictedMethod {

    Method method();

    SparsityBudget budget();

    /** The criterion behind this method's scores; null for dense and random. */
    default ImportanceCriterion criterion() {
        return null;
    }

    /** Plans fixed for every input (static, random), else null. */
    default LayerPlan[] fixedPlans() {
        return null;
    }

    /** The loaded predictor of a predicted method, else null. */
    default PredictorRuntime predictor() {
        return null;
    }

    default int replanEvery() {
        return 1;
    }

    /** The method's key, with {@code -replan<k>} when it re-plans every k > 1 tokens. */
    default String label() {
        return replanEvery() == 1 ? method().key() : method().key() + "-replan" + replanEvery();
    }

    /** This method's predictor as {@code engine} runs it (converted once per engine), or null if it has none. */
    default UnitScorer scorerOn(DecodeEngine engine) {
        return predictor() == null ? null : engine.predictor(predictor().predictor());
    }

    /**
     * This method's planner over plain-array features, as the decode engine runs it: predicted methods score
     * with {@code scorer} (the engine's copy of this method's predictor, or the DJL one); static and oracle
     * plans are fixed for the sequence.
     */
    TokenPlanner tokenPlanner(UnitScorer scorer, SparseDecoderModel model, int[] context);

    /** A planner that predicts during each forward pass. For static and oracle it is their fixed plan. */
    default LayerPlanner live(SparseDecoderModel model, int[] context) {
        TokenPlanner fixed = tokenPlanner(null, model, context);
        return fixed::plan;
    }

    /** One plan per layer for a sequence, decided from {@code context} alone (index 0: null, dense). */
    LayerPlan[] planFromContext(NDManager scope, SparseDecoderModel model, int[] context);

    /**
     * This predicted method, predicting at a sequence's first decoded token and again every {@code k} tokens
     * instead of every token; the plan in between is reused.
     */
    default SparsityMethod replanningEvery(int k) {
        throw new IllegalArgumentException(method() + " has no predictor to re-plan with");
    }

    static SparsityMethod dense(DecoderConfig config) {
        return new Dense(config);
    }

    /** {@code headScores [L][H]}, {@code neuronScores [L][F]}: the set-level {@code criterion} of every unit. */
    static SparsityMethod staticMask(
            DecoderConfig config,
            SparsityBudget budget,
            ImportanceCriterion criterion,
            float[][] headScores,
            float[][] neuronScores) {
        return new FixedMask(Method.STATIC, budget, criterion, budget.select(headScores, neuronScores));
    }

    /** A mask drawn once from {@code seed}: uniform random scores for every unit, under {@code budget}. */
    static SparsityMethod randomMask(DecoderConfig config, SparsityBudget budget, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] heads = new float[config.numLayers()][config.numHeads()];
        float[][] neurons = new float[config.numLayers()][config.ffnDim()];
        for (float[][] scores : new float[][][] {heads, neurons}) {
            for (float[] layer : scores) {
                for (int i = 0; i < layer.length; i++) {
                    layer[i] = (float) r.nextDouble();
                }
            }
        }
        return new FixedMask(Method.RANDOM, budget, null, budget.select(heads, neurons));
    }

    static SparsityMethod predicted(
            Method method, DecoderConfig config, SparsityBudget budget, PredictorRuntime predictor) {
        if (method != Method.SHADOWLLM && method != Method.DEJAVU) {
            throw new IllegalArgumentException(method + " does not use a predictor");
        }
        PredictorKind kind = predictor.predictor().kind();
        boolean fits = method == Method.DEJAVU
                ? kind == PredictorKind.DEJAVU || kind == PredictorKind.DEJAVU_INFLATED
                : kind == PredictorKind.SHADOWLLM || kind == PredictorKind.SHADOWLLM_SPLIT;
        if (!fits) {
            throw new IllegalArgumentException(method + " cannot run a " + kind + " predictor");
        }
        return new PredictedMethod(method, budget, config, predictor, 1);
    }

    static SparsityMethod oracle(DecoderConfig config, SparsityBudget budget, ImportanceCriterion criterion) {
        return new Oracle(budget, criterion);
    }

    /** Every unit, every token. */
    record Dense(DecoderConfig config) implements SparsityMethod {
        @Override
        public Method method() {
            return Method.DENSE;
        }

        @Override
        public SparsityBudget budget() {
            return new SparsityBudget(0, SparsityBudget.Scope.PER_LAYER, 1, 1);
        }

        @Override
        public TokenPlanner tokenPlanner(UnitScorer scorer, SparseDecoderModel model, int[] context) {
            return TokenPlanner.DENSE;
        }

        @Override
        public LayerPlanner live(SparseDecoderModel model, int[] context) {
            return LayerPlanner.DENSE;
        }

        @Override
        public LayerPlan[] planFromContext(NDManager scope, SparseDecoderModel model, int[] context) {
            return new LayerPlan[config.numLayers()];
        }
    }

    /** One mask for every input: static (a set-level criterion) or random (seeded scores). */
    record FixedMask(Method method, SparsityBudget budget, ImportanceCriterion criterion, LayerPlan[] plans)
            implements SparsityMethod {
        public FixedMask {
            if (method != Method.STATIC && method != Method.RANDOM) {
                throw new IllegalArgumentException(method + " is not a fixed mask");
            }
        }

        @Override
        public LayerPlan[] fixedPlans() {
            return plans;
        }

        @Override
        public TokenPlanner tokenPlanner(UnitScorer scorer, SparseDecoderModel model, int[] context) {
            return layer -> plans[layer];
        }

        @Override
        public LayerPlan[] planFromContext(NDManager scope, SparseDecoderModel model, int[] context) {
            return plans;
        }
    }

    /** The true per-example criterion on the same context, as an upper bound. */
    record Oracle(SparsityBudget budget, ImportanceCriterion criterion) implements SparsityMethod {
        @Override
        public Method method() {
            return Method.ORACLE;
        }

        @Override
        public TokenPlanner tokenPlanner(UnitScorer scorer, SparseDecoderModel model, int[] context) {
            LayerPlan[] plans = planFromContext(null, model, context);
            return layer -> plans[layer];
        }

        @Override
        public LayerPlan[] planFromContext(NDManager scope, SparseDecoderModel model, int[] context) {
            if (context.length < 2) {
                throw new IllegalArgumentException("the oracle needs a context of at least 2 tokens");
            }
            ExampleImportance truth = new CriteriaCalculator(model.model())
                    .compute(
                            List.of(new ScoredExample("oracle", context, 1)),
                            new CriteriaOptions(Set.of(criterion), false, false))
                    .get(0);
            return budget.select(truth.head(criterion), truth.neuron(criterion));
        }
    }
}
