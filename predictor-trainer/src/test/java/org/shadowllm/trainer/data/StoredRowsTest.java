package org.shadowllm.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorDesign;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.trainer.eval.EvaluationRows;
import org.shadowllm.trainer.eval.PredictorEvaluator;
import org.shadowllm.trainer.train.PredictorTrainer;
import org.shadowllm.trainer.train.TrainedPredictor;
import org.shadowllm.trainer.train.TrainingOptions;

/**
 * Training and evaluation read from row files, in any storage order, give exactly what they give
 * from records in memory: the trainer streams its minibatches without changing a bit.
 */
class StoredRowsTest {
    private static final PredictorShape SHAPE = new PredictorShape(2, 4, 32, 8);
    private static final List<ImportanceRecord> TABLE = SyntheticImportance.records(SHAPE, 90, 3);
    private static final ExampleSplit SPLIT = ExampleSplit.of(TABLE, 5, 0.25);
    private static final TrainingOptions OPTIONS =
            new TrainingOptions(3, 16, 1e-3, 0.01, 0.9, 0.999, 1e-8, 9, PredictorDesign.ofHidden(24), 10);

    @TempDir
    Path dir;

    @Test
    void rowsReadByIndexAcrossPartsEqualTheRowsWritten() throws IOException {
        SplittableRandom rnd = new SplittableRandom(1);
        float[][] rows = new float[23][5];
        for (float[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) rnd.nextGaussian();
            }
        }
        List<Path> parts = List.of(dir.resolve("a"), dir.resolve("b"), dir.resolve("c"));
        int[] cuts = {0, 10, 10, 23}; // the middle part is empty
        for (int p = 0; p < parts.size(); p++) {
            try (RowFile.Writer w = new RowFile.Writer(Files.newOutputStream(parts.get(p)), 5)) {
                for (int i = cuts[p]; i < cuts[p + 1]; i++) {
                    w.append(new float[] {rows[i][0], rows[i][1]}, new float[] {rows[i][2], rows[i][3], rows[i][4]});
                }
            }
        }
        try (RowFile f = RowFile.open(parts, 5)) {
            assertEquals(23, f.rows());
            float[] got = new float[7];
            for (int k = 0; k < 200; k++) {
                int i = rnd.nextInt(23);
                f.read(i, got, 2);
                for (int j = 0; j < 5; j++) {
                    assertEquals(rows[i][j], got[2 + j], "row " + i + " value " + j);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> f.read(23, got, 0));
        }
    }

    @Test
    void aPartThatIsNotWholeRowsIsAClearError() throws IOException {
        Path part = dir.resolve("short");
        try (OutputStream out = Files.newOutputStream(part)) {
            out.write(new byte[4 * 5 + 3]);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowFile.open(List.of(part), 5));
        assertTrue(e.getMessage().contains("not whole rows"), e.getMessage());
    }

    @Test
    void networksTrainedFromShuffledRowFilesEqualNetworksTrainedInMemory() throws IOException {
        PredictorTrainer trainer = new PredictorTrainer(OPTIONS, m -> {});
        List<ImportanceRecord> train = SPLIT.train();
        TrainedPredictor inMemory = trainer.train(PredictorKind.DEJAVU, SHAPE, train, Device.cpu());
        NormalizedTargets targets = NormalizedTargets.of(SHAPE, train);
        int[] stored = storageOrder(train.size());
        List<PredictorTrainer.TrainedNetwork> fromFiles = new ArrayList<>();
        for (PredictorTrainer.NetworkJob job : trainer.networks(PredictorKind.DEJAVU, SHAPE)) {
            NetworkSpec spec = job.spec();
            NetworkData data = NetworkData.of(spec, SHAPE, train, targets);
            Path file = dir.resolve("net-" + job.index());
            int width = spec.inputs() + spec.outputs();
            float[] x = new float[spec.inputs()];
            float[] y = new float[spec.outputs()];
            int[] positions = new int[train.size()];
            try (RowFile.Writer w = new RowFile.Writer(Files.newOutputStream(file), width)) {
                for (int at = 0; at < stored.length; at++) {
                    data.read(stored[at], x, 0, y, 0);
                    w.append(x, y);
                    positions[stored[at]] = at;
                }
            }
            try (RowFile f = RowFile.open(List.of(file), width)) {
                fromFiles.add(trainer.train(job, NetworkRows.stored(f, spec.inputs(), positions), Device.cpu()));
            }
        }
        TrainedPredictor streamed = trainer.assemble(PredictorKind.DEJAVU, SHAPE, fromFiles, 0);
        assertEquals(inMemory.networks().size(), streamed.networks().size());
        for (int n = 0; n < inMemory.networks().size(); n++) {
            assertSameWeights(inMemory.networks().get(n), streamed.networks().get(n), "network " + n);
        }
        assertEquals(inMemory.finalLoss(), streamed.finalLoss());
    }

    @Test
    void heldOutMetricsFromRowFilesEqualTheMetricsOfRecordsInMemory() throws IOException {
        TrainedPredictor p =
                new PredictorTrainer(OPTIONS, m -> {}).train(PredictorKind.DEJAVU, SHAPE, SPLIT.train(), Device.cpu());
        List<ImportanceRecord> heldOut = new ArrayList<>(SPLIT.heldOut());
        while (heldOut.size() <= PredictorEvaluator.BATCH) {
            heldOut.addAll(SPLIT.heldOut()); // more than one batch
        }
        var expected = PredictorEvaluator.evaluate(p.networks(), SHAPE, heldOut, Device.cpu());
        int[] stored = storageOrder(heldOut.size());
        int[] positions = new int[heldOut.size()];
        List<RowFile> features = new ArrayList<>();
        EvaluationRows memory = EvaluationRows.of(
                p.networks().stream().map(NetworkWeights::spec).toList(), SHAPE, heldOut);
        int headWidth = SHAPE.layers() * SHAPE.heads();
        float[] th = new float[headWidth];
        float[] tn = new float[SHAPE.layers() * SHAPE.ffn()];
        Path truthFile = dir.resolve("truth");
        try (RowFile.Writer w = new RowFile.Writer(Files.newOutputStream(truthFile), headWidth + tn.length)) {
            for (int at = 0; at < stored.length; at++) {
                memory.truth(stored[at], th, tn);
                w.append(th, tn);
                positions[stored[at]] = at;
            }
        }
        try {
            for (int k = 0; k < p.networks().size(); k++) {
                int width = p.networks().get(k).spec().inputs();
                Path file = dir.resolve("x-" + k);
                float[] x = new float[width];
                try (RowFile.Writer w = new RowFile.Writer(Files.newOutputStream(file), width)) {
                    for (int row : stored) {
                        memory.feature(k, row, x, 0);
                        w.append(x);
                    }
                }
                features.add(RowFile.open(List.of(file), width));
            }
            try (RowFile truth = RowFile.open(List.of(truthFile), headWidth + tn.length)) {
                var got = PredictorEvaluator.evaluate(
                        p.networks(), SHAPE, EvaluationRows.stored(features, truth, SHAPE, positions), Device.cpu());
                assertEquals(expected, got);
            }
        } finally {
            features.forEach(RowFile::close);
        }
    }

    /** A storage order unlike the rows' own: stored[at] is the row written at place {@code at}. */
    private static int[] storageOrder(int n) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(n));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void assertSameWeights(NetworkWeights a, NetworkWeights b, String what) {
        assertEquals(a.spec(), b.spec(), what);
        assertArrayEquals(a.w1(), b.w1(), what + " w1");
        assertArrayEquals(a.b1(), b.b1(), what + " b1");
        assertArrayEquals(a.w2(), b.w2(), what + " w2");
        assertArrayEquals(a.b2(), b.b2(), what + " b2");
    }
}
