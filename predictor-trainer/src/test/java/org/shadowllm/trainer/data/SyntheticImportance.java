package org.shadowllm.trainer.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.shadowllm.common.predictor.FeatureScaler;
import org.shadowllm.common.predictor.PredictorShape;

/**
 * A synthetic criteria table whose scores are a known function of the input: every layer's features
 * are one random vector u, and unit j's score is {@code w_j · scaled(u)} for fixed random w_j.
 */
public final class SyntheticImportance {
    private SyntheticImportance() {}

    public static List<ImportanceRecord> records(PredictorShape shape, int examples, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int e = shape.hidden();
        float[][] wHeads = gaussian(rnd, shape.layers() * shape.heads(), e);
        float[][] wNeurons = gaussian(rnd, shape.layers() * shape.ffn(), e);
        List<ImportanceRecord> out = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            float[] u = gaussian(rnd, 1, e)[0];
            float[] layerMajor = new float[shape.layers() * e];
            for (int l = 0; l < shape.layers(); l++) {
                System.arraycopy(u, 0, layerMajor, l * e, e);
            }
            float[] scaled = FeatureScaler.scaledLayer(u, 0, e);
            out.add(new ImportanceRecord(
                    "synthetic/" + i,
                    "synthetic",
                    i % 3,
                    Integer.toString(i),
                    layerMajor,
                    layerMajor.clone(),
                    apply(wHeads, scaled),
                    apply(wNeurons, scaled)));
        }
        return out;
    }

    private static float[] apply(float[][] w, float[] x) {
        float[] y = new float[w.length];
        for (int j = 0; j < w.length; j++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += w[j][i] * x[i];
            }
            y[j] = (float) s;
        }
        return y;
    }

    private static float[][] gaussian(SplittableRandom rnd, int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int i = 0; i < cols; i++) {
                double u1 = rnd.nextDouble();
                double u2 = rnd.nextDouble();
                row[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
            }
        }
        return m;
    }
}
