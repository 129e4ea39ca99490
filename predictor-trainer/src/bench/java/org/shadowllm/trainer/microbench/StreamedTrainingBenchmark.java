package org.shadowllm.trainer.microbench;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.NetworkData;
import org.shadowllm.trainer.data.NetworkRows;
import org.shadowllm.trainer.data.NormalizedTargets;
import org.shadowllm.trainer.data.RowFile;
import org.shadowllm.trainer.train.PredictorTrainer;
import org.shadowllm.trainer.train.TrainingOptions;

/**
 * What streaming costs the trainer: every network of a predictor trained from rows in memory and from
 * row files stored in a shuffled order (one row read per visit), alternating, in the same JVM; the
 * weights must come out equal. Args: layers heads ffn hidden rows epochs (default: opt-mini-trained's
 * shape, 960 rows, 2 epochs).
 */
public final class StreamedTrainingBenchmark {
    private StreamedTrainingBenchmark() {}

    public static void main(String[] args) throws IOException {
        int[] a = args.length == 6
                ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {6, 8, 1024, 256, 960, 2};
        PredictorShape shape = new PredictorShape(a[0], a[1], a[2], a[3]);
        List<ImportanceRecord> records = PredictorCostBenchmark.random(shape, a[4]);
        NormalizedTargets targets = NormalizedTargets.of(shape, records);
        TrainingOptions o = TrainingOptions.paperDefaults(1).withEpochs(a[5]);
        PredictorTrainer trainer = new PredictorTrainer(o, line -> {});
        Path dir = Files.createTempDirectory("streamed-bench");
        System.out.printf(
                "%s, %d rows, batch %d, %d epochs; seconds per epoch, all networks of the predictor%n",
                shape.describe(), a[4], o.batchSize(), a[5]);
        System.out.printf("%-16s %6s %12s %12s %10s%n", "predictor", "round", "in memory", "row files", "ratio");
        for (PredictorKind kind : List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU)) {
            List<PredictorTrainer.NetworkJob> jobs = trainer.networks(kind, shape);
            List<int[]> positions = new ArrayList<>();
            for (PredictorTrainer.NetworkJob job : jobs) {
                positions.add(write(dir.resolve(kind.key() + "-" + job.index()), job.spec(), shape, records, targets));
            }
            for (int round = 1; round <= 2; round++) {
                double memory = 0;
                double files = 0;
                for (int j = 0; j < jobs.size(); j++) {
                    PredictorTrainer.NetworkJob job = jobs.get(j);
                    NetworkSpec spec = job.spec();
                    NetworkData data = NetworkData.of(spec, shape, records, targets);
                    long start = System.nanoTime();
                    var fromMemory = trainer.train(job, data, Device.cpu());
                    memory += (System.nanoTime() - start) / 1e9;
                    try (RowFile f = RowFile.open(
                            List.of(dir.resolve(kind.key() + "-" + job.index())), spec.inputs() + spec.outputs())) {
                        start = System.nanoTime();
                        var fromFiles = trainer.train(
                                job, NetworkRows.stored(f, spec.inputs(), positions.get(j)), Device.cpu());
                        files += (System.nanoTime() - start) / 1e9;
                        if (!Arrays.equals(
                                fromMemory.weights().w2(), fromFiles.weights().w2())) {
                            throw new IllegalStateException(job.label() + ": weights differ");
                        }
                    }
                }
                System.out.printf(
                        "%-16s %6d %12.3f %12.3f %10.3f%n",
                        kind.key(), round, memory / a[5], files / a[5], files / memory);
            }
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Writes the network's rows in a shuffled order; returns each row's place. */
    private static int[] write(
            Path file, NetworkSpec spec, PredictorShape shape, List<ImportanceRecord> records, NormalizedTargets t)
            throws IOException {
        NetworkData data = NetworkData.of(spec, shape, records, t);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(7));
        int[] positions = new int[records.size()];
        float[] x = new float[spec.inputs()];
        float[] y = new float[spec.outputs()];
        try (RowFile.Writer w = new RowFile.Writer(Files.newOutputStream(file), spec.inputs() + spec.outputs())) {
            for (int at = 0; at < order.size(); at++) {
                data.read(order.get(at), x, 0, y, 0);
                w.append(x, y);
                positions[order.get(at)] = at;
            }
        }
        return positions;
    }
}
