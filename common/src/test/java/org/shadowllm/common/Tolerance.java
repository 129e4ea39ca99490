package org.shadowllm.common;

import static org.junit.jupiter.api.Assertions.fail;

/** Elementwise comparison: |actual − expected| ≤ max(abs, rel·|expected|). */
public final class Tolerance {
    private Tolerance() {}

    public static void assertClose(String what, double[] expected, double[] actual, double rel, double abs) {
        if (expected.length != actual.length) {
            fail(what + ": expected " + expected.length + " values, got " + actual.length);
        }
        int bad = 0;
        int first = -1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            double allowed = Math.max(abs, rel * Math.abs(expected[i]));
            if (!(err <= allowed)) {
                if (first < 0) {
                    first = i;
                }
                bad++;
            }
            worst = Math.max(worst, err / Math.max(Math.abs(expected[i]), abs));
        }
        if (bad > 0) {
            fail(String.format(
                    "%s: %d of %d values off; first at [%d]: expected %.9g, got %.9g; worst scaled error %.3g",
                    what, bad, expected.length, first, expected[first], actual[first], worst));
        }
    }

    public static void assertClose(String what, double[] expected, float[] actual, double rel, double abs) {
        assertClose(what, expected, widen(actual), rel, abs);
    }

    /** The largest |value|: the scale for tolerances stated relative to a whole vector. */
    public static double scale(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    public static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    public static double[] flatten(float[][] a) {
        int n = 0;
        for (float[] r : a) {
            n += r.length;
        }
        double[] d = new double[n];
        int p = 0;
        for (float[] r : a) {
            for (float v : r) {
                d[p++] = v;
            }
        }
        return d;
    }
}
