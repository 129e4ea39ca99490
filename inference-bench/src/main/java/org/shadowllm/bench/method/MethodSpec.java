package org.shadowllm.bench.method;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.criteria.ImportanceCriterion;

/**
 * A method to run and the criterion behind its scores (null for dense and random, which have none).
 * Written {@code static@fisher}, {@code shadowllm@plainact+snip}, {@code static@all}, or bare
 * {@code static} for the default criterion.
 */
public record MethodSpec(Method method, ImportanceCriterion criterion) implements java.io.Serializable {
    public MethodSpec {
        boolean scored = method != Method.DENSE && method != Method.RANDOM;
        if (scored != (criterion != null)) {
            throw new IllegalArgumentException(method + (scored ? " needs a criterion" : " takes no criterion"));
        }
    }

    /** The specs one {@code --methods} entry names; {@code fallback} serves a bare method name. */
    public static List<MethodSpec> parse(String entry, ImportanceCriterion fallback) {
        String[] parts = entry.trim().split("@", 2);
        Method m = Method.parse(parts[0]);
        List<MethodSpec> out = new ArrayList<>();
        if (m == Method.DENSE || m == Method.RANDOM) {
            if (parts.length > 1) {
                throw new IllegalArgumentException("method " + m + " takes no criterion, got '" + entry + "'");
            }
            out.add(new MethodSpec(m, null));
            return out;
        }
        if (parts.length == 1) {
            out.add(new MethodSpec(m, fallback));
        } else if (parts[1].equals("all")) {
            for (ImportanceCriterion c : ImportanceCriterion.values()) {
                out.add(new MethodSpec(m, c));
            }
        } else {
            for (String c : parts[1].split("\\+")) {
                out.add(new MethodSpec(m, ImportanceCriterion.parse(c)));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return criterion == null ? method.key() : method.key() + "@" + criterion.key();
    }
}
