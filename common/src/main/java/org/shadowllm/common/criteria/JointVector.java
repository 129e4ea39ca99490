package org.shadowllm.common.criteria;

/**
 * A vector over grasp's joint variables: every head's context values {@code [L][T*H*dHead]} and every
 * fc1 weight {@code [L][F*E]}, in double precision.
 */
public record JointVector(double[][] heads, double[][] fc1) {

    public double norm() {
        return Math.sqrt(dot(this));
    }

    public double dot(JointVector o) {
        double s = 0;
        for (int l = 0; l < heads.length; l++) {
            s += dot(heads[l], o.heads[l]) + dot(fc1[l], o.fc1[l]);
        }
        return s;
    }

    /** {@code a·this + b·o}. */
    public JointVector combine(double a, JointVector o, double b) {
        double[][] h = new double[heads.length][];
        double[][] f = new double[fc1.length][];
        for (int l = 0; l < heads.length; l++) {
            h[l] = axpby(a, heads[l], b, o.heads[l]);
            f[l] = axpby(a, fc1[l], b, o.fc1[l]);
        }
        return new JointVector(h, f);
    }

    public JointVector scale(double a) {
        return combine(a, this, 0);
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    private static double[] axpby(double a, double[] x, double b, double[] y) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = a * x[i] + b * y[i];
        }
        return r;
    }
}
