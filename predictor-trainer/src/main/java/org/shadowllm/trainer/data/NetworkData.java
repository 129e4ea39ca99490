package org.shadowllm.trainer.data;

import java.util.List;
import org.shadowllm.common.predictor.FeatureScaler;
import org.shadowllm.common.predictor.FeatureSource;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitLayout;

/**
 * A network's inputs and targets, row-major {@code [examples, width]}: the scaled feature it reads, and
 * its slice of the per-layer normalized scores.
 */
public record NetworkData(int examples, float[] inputs, float[] targets) implements NetworkRows {
    public NetworkData {
        if (examples < 1 || inputs.length % examples != 0 || targets.length % examples != 0) {
            throw new IllegalArgumentException(examples + " examples cannot share " + inputs.length + " inputs and "
                    + targets.length + " targets evenly");
        }
    }

    @Override
    public int rows() {
        return examples;
    }

    @Override
    public int inputWidth() {
        return inputs.length / examples;
    }

    @Override
    public int targetWidth() {
        return targets.length / examples;
    }

    @Override
    public void read(int row, float[] x, int xOffset, float[] y, int yOffset) {
        int in = inputWidth();
        int out = targetWidth();
        System.arraycopy(inputs, row * in, x, xOffset, in);
        System.arraycopy(targets, row * out, y, yOffset, out);
    }

    /** {@code targets} are those of {@code records}, in the same order. */
    public static NetworkData of(
            NetworkSpec spec, PredictorShape shape, List<ImportanceRecord> records, NormalizedTargets targets) {
        int n = records.size();
        int e = shape.hidden();
        float[] x = new float[ArraySizes.of(n, e, "inputs of " + spec.name())];
        float[] y = new float[ArraySizes.of(n, spec.outputs(), "targets of " + spec.name())];
        for (int i = 0; i < n; i++) {
            ImportanceRecord r = records.get(i);
            System.arraycopy(feature(spec, shape, r), 0, x, i * e, e);
            float[] t = UnitLayout.gather(spec, shape, targets.heads()[i], targets.neurons()[i]);
            System.arraycopy(t, 0, y, i * spec.outputs(), t.length);
        }
        return new NetworkData(n, x, y);
    }

    /** The scaled input {@code spec} reads for one example. */
    public static float[] feature(NetworkSpec spec, PredictorShape shape, ImportanceRecord r) {
        float[] source = spec.source() == FeatureSource.ATTENTION_CONTEXT ? r.attnContext() : r.residualIn();
        return FeatureScaler.scaledLayer(source, spec.featureLayer(), shape.hidden());
    }
}
