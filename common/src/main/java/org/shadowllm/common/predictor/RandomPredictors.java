package org.shadowllm.common.predictor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Predictors with seeded random weights, for tests and timing runs that need one of a given shape. */
public final class RandomPredictors {
    private RandomPredictors() {}

    public static UnitPredictor of(PredictorKind kind, PredictorShape shape, int hidden, long seed) {
        return of(kind, shape, PredictorDesign.ofHidden(hidden), seed);
    }

    public static UnitPredictor of(PredictorKind kind, PredictorShape shape, PredictorDesign design, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<NetworkSpec> specs = kind.networks(shape, design);
        List<NetworkWeights> nets = new ArrayList<>();
        for (NetworkSpec s : specs) {
            nets.add(new NetworkWeights(
                    s,
                    values(rnd, s.hidden() * s.inputs()),
                    s.bias() ? values(rnd, s.hidden()) : null,
                    values(rnd, s.outputs() * s.hidden()),
                    s.bias() ? values(rnd, s.outputs()) : null));
        }
        PredictorManifest m = new PredictorManifest(
                PredictorManifest.FORMAT_VERSION,
                kind,
                "test",
                shape,
                "plainact",
                List.of("piqa"),
                List.of(0),
                seed,
                0.1,
                1,
                1,
                Map.of(),
                Map.of(),
                "test",
                new PredictorManifest.InputTable("none", List.of(), 0, List.of(), FeaturePosition.PLAN, null),
                "2026-11-22T00:00:00Z",
                specs);
        return new UnitPredictor(m, nets);
    }

    private static float[] values(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.3f;
        }
        return v;
    }
}
