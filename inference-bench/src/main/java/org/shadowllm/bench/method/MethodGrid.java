package org.shadowllm.bench.method;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.PredictorKind;

/**
 * Every method configuration a bench run compares: each method at each sparsity, budget scope and pruned
 * unit type, in report order. The same grid builds the same list on the driver and on every executor, so
 * method {@code i} is one configuration everywhere.
 *
 * @param minNeurons  the global budget's floor per layer; 0 takes {@link SparsityBudget#defaultMinNeurons}
 * @param shadowKind  the predictor the shadowllm method runs: shadowllm or shadowllm-split
 * @param replanEvery also run each predicted method re-planning every k tokens (0: no such variants)
 */
public record MethodGrid(
        List<MethodSpec> methods,
        List<Double> sparsities,
        List<SparsityBudget.Scope> scopes,
        List<SparsityBudget.Prune> prunes,
        int minHeads,
        int minNeurons,
        long seed,
        PredictorKind shadowKind,
        int replanEvery)
        implements java.io.Serializable {

    public MethodGrid {
        methods = List.copyOf(new LinkedHashSet<>(methods));
        sparsities = List.copyOf(sparsities);
        scopes = List.copyOf(new LinkedHashSet<>(scopes));
        prunes = List.copyOf(new LinkedHashSet<>(prunes));
        if (methods.isEmpty() || sparsities.isEmpty() || scopes.isEmpty() || prunes.isEmpty()) {
            throw new IllegalArgumentException("--methods, --sparsities, --budget and --prune must not be empty");
        }
        for (double s : sparsities) {
            new SparsityBudget(s, scopes.get(0), 1, 1);
        }
        if (minHeads < 1 || minNeurons < 0) {
            throw new IllegalArgumentException("--min-heads must be ≥ 1, --min-neurons ≥ 0");
        }
        if (replanEvery < 0) {
            throw new IllegalArgumentException(
                    "--replan-every must be ≥ 0 (0: no re-planning variants), got " + replanEvery);
        }
        if (shadowKind != PredictorKind.SHADOWLLM && shadowKind != PredictorKind.SHADOWLLM_SPLIT) {
            throw new IllegalArgumentException(
                    "--shadowllm-kind takes shadowllm or shadowllm-split, got " + shadowKind);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Names each part of a grid. The lists and the shadowllm predictor have no default (the bench's
     * options hold those); the floors default to one head and the default neuron floor, the seed to 0,
     * and re-planning variants to none.
     */
    public static final class Builder {
        private List<MethodSpec> methods = List.of();
        private List<Double> sparsities = List.of();
        private List<SparsityBudget.Scope> scopes = List.of();
        private List<SparsityBudget.Prune> prunes = List.of();
        private int minHeads = 1;
        private int minNeurons;
        private long seed;
        private PredictorKind shadowKind;
        private int replanEvery;

        private Builder() {}

        public Builder methods(List<MethodSpec> v) {
            methods = v;
            return this;
        }

        public Builder sparsities(List<Double> v) {
            sparsities = v;
            return this;
        }

        public Builder scopes(List<SparsityBudget.Scope> v) {
            scopes = v;
            return this;
        }

        public Builder prunes(List<SparsityBudget.Prune> v) {
            prunes = v;
            return this;
        }

        public Builder minHeads(int v) {
            minHeads = v;
            return this;
        }

        /** 0 takes {@link SparsityBudget#defaultMinNeurons}. */
        public Builder minNeurons(int v) {
            minNeurons = v;
            return this;
        }

        /** The random mask's seed. */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder shadowKind(PredictorKind v) {
            shadowKind = v;
            return this;
        }

        public Builder replanEvery(int v) {
            replanEvery = v;
            return this;
        }

        public MethodGrid build() {
            return new MethodGrid(
                    methods, sparsities, scopes, prunes, minHeads, minNeurons, seed, shadowKind, replanEvery);
        }
    }

    public boolean runs(Method m) {
        return methods.stream().anyMatch(s -> s.method() == m);
    }

    /** Whether some method needs a trained predictor. */
    public boolean predicts() {
        return runs(Method.SHADOWLLM) || runs(Method.DEJAVU);
    }

    /** The criteria some configuration of {@code m} is run with. */
    public Set<ImportanceCriterion> criteriaOf(Method m) {
        Set<ImportanceCriterion> out = EnumSet.noneOf(ImportanceCriterion.class);
        methods.stream().filter(s -> s.method() == m).forEach(s -> out.add(s.criterion()));
        return out;
    }

    /** The global budget's neuron floor per layer for a model of {@code c}. */
    public int minNeurons(DecoderConfig c) {
        return minNeurons > 0 ? minNeurons : SparsityBudget.defaultMinNeurons(c.ffnDim());
    }

    /** The predictor a predicted method runs. */
    public PredictorKind predictorOf(Method m) {
        return switch (m) {
            case SHADOWLLM -> shadowKind;
            case DEJAVU -> PredictorKind.DEJAVU;
            default -> throw new IllegalArgumentException(m + " runs no predictor");
        };
    }

    /**
     * The configurations in report order: dense once, then per sparsity, scope and pruned type each method.
     * DejaVu plans layer by layer, so it runs once per sparsity and pruned type, at a per-layer budget.
     *
     * @param staticScores per criterion the static methods use, its head and neuron scores
     */
    public List<SparsityMethod> build(
            DecoderConfig config, Map<ImportanceCriterion, UnitScores> staticScores, PredictorSet predictors) {
        List<SparsityMethod> out = new ArrayList<>();
        if (runs(Method.DENSE)) {
            out.add(SparsityMethod.dense(config));
        }
        for (double s : sparsities) {
            for (SparsityBudget.Scope scope : scopes) {
                for (SparsityBudget.Prune prune : prunes) {
                    SparsityBudget budget = new SparsityBudget(s, scope, minHeads, minNeurons(config), prune);
                    for (MethodSpec spec : methods) {
                        if (spec.method() == Method.DENSE
                                || (spec.method() == Method.DEJAVU && scope != scopes.get(0))) {
                            continue;
                        }
                        SparsityMethod m = method(spec, config, budget, staticScores, predictors);
                        out.add(m);
                        if (replanEvery > 0 && m.predictor() != null) {
                            out.add(m.replanningEvery(replanEvery));
                        }
                    }
                }
            }
        }
        return out;
    }

    private SparsityMethod method(
            MethodSpec spec,
            DecoderConfig config,
            SparsityBudget budget,
            Map<ImportanceCriterion, UnitScores> staticScores,
            PredictorSet predictors) {
        ImportanceCriterion c = spec.criterion();
        return switch (spec.method()) {
            case STATIC -> SparsityMethod.staticMask(
                    config,
                    budget,
                    c,
                    staticScores.get(c).heads(),
                    staticScores.get(c).neurons());
            case RANDOM -> SparsityMethod.randomMask(config, budget, seed);
            case SHADOWLLM -> SparsityMethod.predicted(Method.SHADOWLLM, config, budget, predictors.get(shadowKind, c));
            case DEJAVU -> SparsityMethod.predicted(
                    Method.DEJAVU,
                    config,
                    new SparsityBudget(
                            budget.sparsity(),
                            SparsityBudget.Scope.PER_LAYER,
                            minHeads,
                            minNeurons(config),
                            budget.prune()),
                    predictors.get(PredictorKind.DEJAVU, c));
            case ORACLE -> SparsityMethod.oracle(config, budget, c);
            case DENSE -> throw new IllegalStateException("dense is built once, outside the grid");
        };
    }
}
