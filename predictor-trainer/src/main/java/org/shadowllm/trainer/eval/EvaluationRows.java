package org.shadowllm.trainer.eval;

import java.util.List;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.NetworkData;
import org.shadowllm.trainer.data.NormalizedTargets;
import org.shadowllm.trainer.data.RowFile;

/** Held-out examples as the evaluator reads them, by row: each network's input and the true scores. */
public interface EvaluationRows {
    int rows();

    /** Copies network {@code network}'s scaled input for row {@code row} to {@code dst[offset..]}. */
    void feature(int network, int row, float[] dst, int offset);

    /** Copies row {@code row}'s per-layer normalized head and neuron scores. */
    void truth(int row, float[] heads, float[] neurons);

    /** Records held in memory, read by the networks of {@code specs}. */
    static EvaluationRows of(List<NetworkSpec> specs, PredictorShape shape, List<ImportanceRecord> records) {
        return new EvaluationRows() {
            @Override
            public int rows() {
                return records.size();
            }

            @Override
            public void feature(int network, int row, float[] dst, int offset) {
                float[] x = NetworkData.feature(specs.get(network), shape, records.get(row));
                System.arraycopy(x, 0, dst, offset, x.length);
            }

            @Override
            public void truth(int row, float[] heads, float[] neurons) {
                ImportanceRecord r = records.get(row);
                float[] h = NormalizedTargets.heads(shape, r);
                float[] n = NormalizedTargets.neurons(shape, r);
                System.arraycopy(h, 0, heads, 0, h.length);
                System.arraycopy(n, 0, neurons, 0, n.length);
            }
        };
    }

    /**
     * Rows stored in files: one file of inputs per network, and {@code truth} holding each row's head
     * scores then its neuron scores; row {@code i} is the files' row {@code positions[i]}.
     */
    static EvaluationRows stored(List<RowFile> features, RowFile truth, PredictorShape shape, int[] positions) {
        int headWidth = shape.layers() * shape.heads();
        if (truth.width() != headWidth + shape.layers() * shape.ffn()) {
            throw new IllegalArgumentException(
                    "truth rows of " + truth.width() + " values do not fit " + shape.describe());
        }
        for (RowFile f : features) {
            if (f.rows() != truth.rows()) {
                throw new IllegalArgumentException(
                        "an input file holds " + f.rows() + " rows, the truth " + truth.rows());
            }
        }
        truth.requireRows(positions);
        float[] row = new float[truth.width()];
        return new EvaluationRows() {
            @Override
            public int rows() {
                return positions.length;
            }

            @Override
            public void feature(int network, int index, float[] dst, int offset) {
                features.get(network).read(positions[index], dst, offset);
            }

            @Override
            public void truth(int index, float[] heads, float[] neurons) {
                truth.read(positions[index], row, 0);
                System.arraycopy(row, 0, heads, 0, headWidth);
                System.arraycopy(row, headWidth, neurons, 0, neurons.length);
            }
        };
    }
}
