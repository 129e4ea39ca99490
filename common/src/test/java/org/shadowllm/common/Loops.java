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
}
