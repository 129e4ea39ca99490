package org.shadowllm.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.Keyed;
import org.shadowllm.common.criteria.ImportanceCriterion;

/**
 * Which method configurations a bench run compares, written {@code A:B} ({@code shadowllm:dejavu}): every
 * configuration of side A against every one of side B measured on the same items at the same sparsity,
 * budget and pruned units, with the same criterion where both have one. A side may also name a budget
 * scope or a criterion ({@code static@global:static@per-layer}, {@code static@fisher:static@plainact}):
 * then that side is only configurations with it, and the sides may differ in it. Dense, measured once,
 * pairs with any configuration.
 */
public record PairSpec(Side a, Side b) implements java.io.Serializable {

    /**
     * One side: a method, and optionally the budget scope or criterion its configurations have.
     *
     * @param scope     null: any, and the same as the other side's
     * @param criterion null: any, and the same as the other side's where both have one
     */
    public record Side(Method method, SparsityBudget.Scope scope, ImportanceCriterion criterion)
            implements java.io.Serializable {
        public Side {
            Objects.requireNonNull(method, "method");
        }

        /** {@code method}, {@code method@scope} or {@code method@criterion}. */
        static Side parse(String text) {
            String[] parts = text.trim().split("@", -1);
            Method m = Method.parse(parts[0]);
            if (parts.length == 1) {
                return new Side(m, null, null);
            }
            if (parts.length > 2) {
                throw new IllegalArgumentException(
                        "a side is method, method@scope or method@criterion, got '" + text + "'");
            }
            for (SparsityBudget.Scope s : SparsityBudget.Scope.values()) {
                if (s.key().equalsIgnoreCase(parts[1].trim())) {
                    return new Side(m, s, null);
                }
            }
            return new Side(m, null, ImportanceCriterion.parse(parts[1]));
        }

        boolean has(BenchResult.Series x) {
            return x.kind() == method
                    && (scope == null || x.budget().scope() == scope)
                    && (criterion == null || x.criterion().equals(criterion.key()));
        }

        @Override
        public String toString() {
            return method.key()
                    + (scope != null ? "@" + scope.key() : "")
                    + (criterion != null ? "@" + criterion.key() : "");
        }
    }

    public PairSpec {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.equals(b)) {
            throw new IllegalArgumentException("a comparison needs two different sides, got " + a + ":" + b);
        }
        if ((a.scope() == null) != (b.scope() == null) || (a.criterion() == null) != (b.criterion() == null)) {
            throw new IllegalArgumentException(
                    "name a budget scope or criterion on both sides or on neither, got " + a + ":" + b);
        }
    }

    /** Method A against method B at the same budget and criterion. */
    public PairSpec(Method a, Method b) {
        this(new Side(a, null, null), new Side(b, null, null));
    }

    /**
     * What a bench compares unless told otherwise: each sparse method against dense, each other method
     * against static at the same sparsity and budget, and ShadowLLM against DejaVu.
     */
    public static List<PairSpec> defaults() {
        List<PairSpec> out = new ArrayList<>();
        for (Method m : Method.values()) {
            if (m != Method.DENSE) {
                out.add(new PairSpec(m, Method.DENSE));
            }
        }
        for (Method m : Method.values()) {
            if (m != Method.DENSE && m != Method.STATIC) {
                out.add(new PairSpec(m, Method.STATIC));
            }
        }
        out.add(new PairSpec(Method.SHADOWLLM, Method.DEJAVU));
        return out;
    }

    /** {@code A:B}, each side {@code method}, {@code method@scope} or {@code method@criterion}. */
    public static PairSpec parse(String text) {
        String[] sides = text.trim().split(":", -1);
        if (sides.length != 2) {
            throw new IllegalArgumentException("a comparison is written A:B (e.g. shadowllm:dejavu, "
                    + "static@global:static@per-layer, static@fisher:static@plainact), got '" + text
                    + "'; A and B are " + Keyed.keysOf(Method.class));
        }
        return new PairSpec(Side.parse(sides[0]), Side.parse(sides[1]));
    }

    /** Whether {@code x} (of A) and {@code y} (of B) are one comparison this spec asks for. */
    public boolean pairs(BenchResult.Series x, BenchResult.Series y) {
        if (!a.has(x) || !b.has(y)) {
            return false;
        }
        if (a.method() == Method.DENSE || b.method() == Method.DENSE) {
            return true;
        }
        boolean criteria = a.criterion() != null
                || x.criterion().isEmpty()
                || y.criterion().isEmpty()
                || x.criterion().equals(y.criterion());
        SparsityBudget bx = x.budget();
        SparsityBudget by = y.budget();
        boolean budgets =
                a.scope() == null ? bx.equals(by) : bx.sparsity() == by.sparsity() && bx.prune() == by.prune();
        return criteria && budgets;
    }

    @Override
    public String toString() {
        return a + ":" + b;
    }
}
