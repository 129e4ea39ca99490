package org.shadowllm.bench.report;

import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.SparsityBudget;

/**
 * One measured value: of which method configuration, what was measured on which task, over how many
 * items, and the estimate with its uncertainty.
 *
 * @param task     wikitext-2, a task key, "generation" for latency, or "layer-<l>" for allocations
 * @param count    scored tokens, examples, or repeats
 * @param estimate the value, its standard error and 95% interval (NaN where not estimated)
 */
public record BenchResult(
        Series series, Achieved achieved, Metric measure, String task, long count, Bootstrap.Interval estimate)
        implements java.io.Serializable {

    public BenchResult {
        if (series == null || achieved == null || measure == null || task == null || estimate == null) {
            throw new IllegalArgumentException("a bench result needs every part");
        }
    }

    /**
     * A method configuration as the report draws it.
     *
     * @param kind      the method
     * @param method    its label: the method's key, with how often it re-plans where it does
     * @param criterion the criterion behind the method's scores; empty for dense and random
     * @param budget    its sparsity budget (dense: sparsity 0)
     */
    public record Series(Method kind, String method, String criterion, SparsityBudget budget)
            implements java.io.Serializable {
        public static Series of(SparsityMethod m) {
            return new Series(
                    m.method(),
                    m.label(),
                    m.criterion() == null ? "" : m.criterion().key(),
                    m.budget());
        }

        /** The requested sparsity (0 for dense). */
        public double sparsity() {
            return budget.sparsity();
        }

        /** How the budget is written in tables: its scope, and which units it prunes unless both. */
        public String budgetLabel() {
            return budget.describe();
        }

        /** Its line in a chart or summary: method, criterion and budget (dense has neither). */
        public String label() {
            if (kind == Method.DENSE) {
                return method;
            }
            return method + (criterion.isEmpty() ? "" : " " + criterion) + ", " + budgetLabel();
        }
    }

    /**
     * The fraction of heads and neurons in layers 1..L-1 the plans removed, averaged; NaN where not tracked.
     */
    public record Achieved(double headSparsity, double neuronSparsity) implements java.io.Serializable {
        public static final Achieved UNTRACKED = new Achieved(Double.NaN, Double.NaN);
    }

    /** A value measured without an uncertainty estimate. */
    public static Bootstrap.Interval exact(double value) {
        return new Bootstrap.Interval(value, Double.NaN, Double.NaN, Double.NaN);
    }

    /** A result of {@code m} whose achieved sparsity is not tracked. */
    public static BenchResult of(SparsityMethod m, Metric measure, String task, long count, Bootstrap.Interval v) {
        return new BenchResult(Series.of(m), Achieved.UNTRACKED, measure, task, count, v);
    }

    public String method() {
        return series.method();
    }

    public String criterion() {
        return series.criterion();
    }

    public String budget() {
        return series.budgetLabel();
    }

    public double sparsity() {
        return series.sparsity();
    }

    public double headSparsity() {
        return achieved.headSparsity();
    }

    public double neuronSparsity() {
        return achieved.neuronSparsity();
    }

    public double value() {
        return estimate.value();
    }

    public double stderr() {
        return estimate.stderr();
    }

    public double ciLow() {
        return estimate.low();
    }

    public double ciHigh() {
        return estimate.high();
    }
}
