package org.shadowllm.common.criteria;

import java.util.EnumMap;
import java.util.Map;

/**
 * Every single-pass head criterion of {@code CRITERIA.md} from a brute-force trace, with plain loops: the
 * heads' contexts and their finite-difference gradients, {@code [layer][token][head·d + u]}. The same for
 * every family, since a head is whatever feeds the output projection.
 */
final class ReferenceHeadCriteria {
    private ReferenceHeadCriteria() {}

    static Map<ImportanceCriterion, double[]> of(double[][][] context, double[][][] gradient, int heads, int d) {
        int layers = context.length;
        int t = context[0].length;
        Map<ImportanceCriterion, double[]> m = new EnumMap<>(ImportanceCriterion.class);
        for (ImportanceCriterion c : ImportanceCriterion.SINGLE_PASS) {
            m.put(c, new double[layers * heads]);
        }
        for (int l = 0; l < layers; l++) {
            for (int hh = 0; hh < heads; hh++) {
                double a2 = 0, g2 = 0, plain = 0, sum = 0, off = 0;
                double[] fisherPerDim = new double[d];
                for (int i = 0; i < t; i++) {
                    double tokenSum = 0;
                    for (int u = 0; u < d; u++) {
                        double a = context[l][i][hh * d + u];
                        double g = gradient[l][i][hh * d + u];
                        a2 += a * a;
                        g2 += g * g;
                        tokenSum += a * g;
                        fisherPerDim[u] += (a * g) * (a * g) / t;
                        off += a <= 0 ? 1 : 0;
                    }
                    plain += Math.abs(tokenSum);
                    sum += tokenSum;
                }
                int u = l * heads + hh;
                m.get(ImportanceCriterion.L2NORM)[u] = Math.sqrt(a2);
                m.get(ImportanceCriterion.GRADNORM)[u] = Math.sqrt(g2);
                m.get(ImportanceCriterion.PLAINACT)[u] = plain;
                m.get(ImportanceCriterion.FISHER)[u] =
                        java.util.Arrays.stream(fisherPerDim).sum();
                m.get(ImportanceCriterion.SNIP)[u] = Math.abs(sum);
                m.get(ImportanceCriterion.NWOT)[u] = Math.log(off / (t * d) + 1e-12);
            }
        }
        return m;
    }
}
