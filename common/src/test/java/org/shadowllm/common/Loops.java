package org.shadowllm.common;

/** The plain float64 loops the brute-force references ({@link ReferenceOpt}, {@link ReferenceLlama}) share. */
final class Loops {
    private Loops() {}

    /** {@code x · Wᵀ + b} with W stored {@code [out, in]}; {@code bias} null for none. */
    static double[][] linear(double[][] x, float[] weight, float[] bias, int out, int in) {
        if (weight.length != out * in) {
            throw new IllegalArgumentException("weight of " + weight.length + " values, expected " + out + "×" + in);
        }
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                int base = o * in;
                for (int j = 0; j < in; j++) {
                    s += x[i][j] * weight[base + j];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    /** {@code x += y}, element by element. */
    static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }

    static double[][] copy(double[][] a) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i].clone();
        }
        return r;
    }

    /** The continuation's scores: its mean NLL, each target's log-probability, the last scored position's logits. */
    record Continuation(double loss, double[] targetLogprobs, double[] lastLogits) {}

    /**
     * Scores the last {@code continuation} targets of {@code tokens} from final hidden states {@code hN}
     * ({@code [T][width]}, position {@code i} predicting {@code tokens[i + 1]}) through {@code head}
     * ({@code [vocab, width]}), with a max-shifted log-softmax.
     */
    static Continuation continuation(
            double[][] hN, float[] head, int vocab, int width, int[] tokens, int continuation) {
        int t = tokens.length - 1;
        double loss = 0;
        double[] lps = new double[continuation];
        double[] lastLogits = null;
        for (int j = 0; j < continuation; j++) {
            int position = t - continuation + j;
            double[] logits = new double[vocab];
            double max = Double.NEGATIVE_INFINITY;
            for (int vv = 0; vv < logits.length; vv++) {
                double s = 0;
                for (int u = 0; u < width; u++) {
                    s += hN[position][u] * head[vv * width + u];
                }
                logits[vv] = s;
                max = Math.max(max, s);
            }
            double z = 0;
            for (double lg : logits) {
                z += Math.exp(lg - max);
            }
            lps[j] = logits[tokens[position + 1]] - max - Math.log(z);
            loss -= lps[j] / continuation;
            lastLogits = logits;
        }
        return new Continuation(loss, lps, lastLogits);
    }
}
