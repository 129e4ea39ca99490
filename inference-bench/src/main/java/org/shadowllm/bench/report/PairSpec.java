package org.shadowllm.bench.report;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.bench.method.Method;
import org.shadowllm.common.Keyed;

/**
 * Which method configurations a bench run compares, written {@code A:B} ({@code shadowllm:dejavu}): every
 * configuration of method A against every one of method B measured on the same items at the same
 * sparsity and budget, with the same criterion where both have one. Dense, measured once, pairs with any
 * configuration.
 */
public record PairSpec(Method a, Method b) implements java.io.Serializable {
    public PairSpec {
        if (a == null || b == null || a == b) {
            throw new IllegalArgumentException("a comparison needs two different methods, got " + a + ":" + b);
        }
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

    /** {@code A:B}, each side a method's key. */
    public static PairSpec parse(String text) {
        String[] sides = text.trim().split(":", -1);
        if (sides.length != 2) {
            throw new IllegalArgumentException("a comparison is written A:B (e.g. shadowllm:dejavu), got '" + text
                    + "'; A and B are " + Keyed.keysOf(Method.class));
        }
        return new PairSpec(Method.parse(sides[0]), Method.parse(sides[1]));
    }

    /** Whether {@code x} (of A) and {@code y} (of B) are one comparison this spec asks for. */
    public boolean pairs(BenchResult.Series x, BenchResult.Series y) {
        if (x.kind() != a || y.kind() != b) {
            return false;
        }
        if (a == Method.DENSE || b == Method.DENSE) {
            return true;
        }
        boolean sameCriterion = x.criterion().isEmpty()
                || y.criterion().isEmpty()
                || x.criterion().equals(y.criterion());
        return x.sparsity() == y.sparsity() && x.budget().equals(y.budget()) && sameCriterion;
    }

    @Override
    public String toString() {
        return a.key() + ":" + b.key();
    }
}
