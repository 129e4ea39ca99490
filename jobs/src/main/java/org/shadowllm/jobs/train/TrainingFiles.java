package org.shadowllm.jobs.train;

import ai.djl.Device;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.jobs.tables.LocalCopy;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.NetworkData;
import org.shadowllm.trainer.data.NetworkRows;
import org.shadowllm.trainer.data.NormalizedTargets;
import org.shadowllm.trainer.data.RowFile;
import org.shadowllm.trainer.eval.EvaluationRows;
import org.shadowllm.trainer.eval.PrecisionMetrics;
import org.shadowllm.trainer.eval.PredictorEvaluator;
import org.shadowllm.trainer.eval.PredictorMetrics;
import org.shadowllm.trainer.train.PredictorTrainer;

/**
 * The selected rows, written once by the executors (one part per partition of the table, named for
 * its partition N and the task attempt A that wrote it) as row
 * files that training and evaluation read one minibatch at a time, so that no process holds the rows:
 * <ul>
 *   <li>{@code train/<kind>/<network>/part-N-A}: a training row's scaled input ‖ normalized targets;
 *   <li>{@code held-out/<kind>/<network>/part-N-A}: a held-out row's scaled input;
 *   <li>{@code held-out/truth/part-N-A}: a held-out row's normalized head scores ‖ neuron scores.
 * </ul>
 * Rows are visited by split key, then shot count (as {@code ExampleSplit} lists them), whatever order
 * the table's files hold them in: the driver keeps each row's key and place (a few dozen bytes a row),
 * the network tasks 4 bytes a row.
 */
final class TrainingFiles implements Serializable {
    static final String TRAIN = "train";
    static final String HELD_OUT = "held-out";
    static final String TRUTH = "truth";

    private final String root;
    private final PredictorShape shape;
    private final Side train;
    private final Side heldOut;

    /** One side of the split: the parts that hold rows, in order, and each visited row's place in them. */
    record Side(List<String> parts, int[] positions) implements Serializable {
        int rows() {
            return positions.length;
        }
    }

    private TrainingFiles(String root, PredictorShape shape, Side train, Side heldOut) {
        this.root = root;
        this.shape = shape;
        this.train = train;
        this.heldOut = heldOut;
    }

    int trainRows() {
        return train.rows();
    }

    int heldOutRows() {
        return heldOut.rows();
    }

    /** The key of one written row, and which side it went to. */
    private record Written(String splitKey, int shots, boolean heldOut) implements Serializable {}

    /** What one partition wrote: the name of its files (per task attempt) and its rows in file order. */
    private record PartWritten(int part, String name, List<Written> rows) implements Serializable {}

    /** Writes the selection's rows under {@code root} for every network of {@code networks}. */
    static TrainingFiles write(
            SparkSession spark,
            CriteriaTableReader.Selection selection,
            Map<PredictorKind, List<PredictorTrainer.NetworkJob>> networks,
            Set<String> heldOutKeys,
            String root) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("write training rows for " + networks.keySet());
        Broadcast<Set<String>> held = jsc.broadcast(heldOutKeys);
        Map<String, String> hadoop = LocalCopy.settings(spark.sparkContext().hadoopConfiguration());
        Map<PredictorKind, List<NetworkSpec>> specs = new HashMap<>();
        networks.forEach((kind, jobs) -> specs.put(
                kind, jobs.stream().map(PredictorTrainer.NetworkJob::spec).toList()));
        CriteriaTableReader.RowFormat format = selection.format();
        Function2<Integer, Iterator<Row>, Iterator<PartWritten>> writer =
                (part, rows) -> List.of(writePart(root, format, specs, held.value(), hadoop, part, rows))
                        .iterator();
        List<PartWritten> parts;
        try {
            parts = new ArrayList<>(selection
                    .rows()
                    .javaRDD()
                    .mapPartitionsWithIndex(writer, false)
                    .collect());
        } catch (Exception e) { // a SparkException, thrown unchecked from Scala
            throw malformedRow(e);
        } finally {
            held.destroy();
        }
        parts.sort(Comparator.comparingInt(PartWritten::part));
        return new TrainingFiles(root, format.shape(), side(parts, false), side(parts, true));
    }

    /** A row an executor refused, as the clear error it raised there; anything else as it came. */
    private static RuntimeException malformedRow(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException bad) {
                return new IllegalArgumentException(bad.getMessage(), e);
            }
        }
        return e instanceof RuntimeException r
                ? r
                : new IllegalStateException("writing the training rows failed: " + e.getMessage(), e);
    }

    private static PartWritten writePart(
            String root,
            CriteriaTableReader.RowFormat format,
            Map<PredictorKind, List<NetworkSpec>> specs,
            Set<String> heldOutKeys,
            Map<String, String> hadoop,
            int part,
            Iterator<Row> rows)
            throws IOException {
        FileSystem fs = new org.apache.hadoop.fs.Path(root).getFileSystem(LocalCopy.configuration(hadoop));
        PredictorShape shape = format.shape();
        String name = partName(part);
        Map<String, RowFile.Writer> writers = new HashMap<>();
        List<Written> written = new ArrayList<>();
        try {
            while (rows.hasNext()) {
                ImportanceRecord r = format.record(rows.next());
                boolean held = heldOutKeys.contains(r.splitKey());
                float[] heads = NormalizedTargets.heads(shape, r);
                float[] neurons = NormalizedTargets.neurons(shape, r);
                for (Map.Entry<PredictorKind, List<NetworkSpec>> kind : specs.entrySet()) {
                    for (int n = 0; n < kind.getValue().size(); n++) {
                        NetworkSpec spec = kind.getValue().get(n);
                        float[] x = NetworkData.feature(spec, shape, r);
                        if (held) {
                            writer(fs, root, writers, networkFolder(HELD_OUT, kind.getKey(), n), name, spec.inputs())
                                    .append(x);
                        } else {
                            writer(
                                            fs,
                                            root,
                                            writers,
                                            networkFolder(TRAIN, kind.getKey(), n),
                                            name,
                                            x.length + spec.outputs())
                                    .append(x, UnitLayout.gather(spec, shape, heads, neurons));
                        }
                    }
                }
                if (held) {
                    writer(fs, root, writers, HELD_OUT + "/" + TRUTH, name, heads.length + neurons.length)
                            .append(heads, neurons);
                }
                written.add(new Written(r.splitKey(), r.shots(), held));
            }
        } finally {
            for (RowFile.Writer w : writers.values()) {
                w.close();
            }
        }
        return new PartWritten(part, name, written);
    }

    /** The part's writer for {@code folder}, created with the first row. */
    private static RowFile.Writer writer(
            FileSystem fs, String root, Map<String, RowFile.Writer> writers, String folder, String name, int width) {
        return writers.computeIfAbsent(folder, f -> {
            try {
                org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(root + "/" + f + "/" + name);
                return new RowFile.Writer(fs.create(file, false), width);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write training rows under " + f, e);
            }
        });
    }

    private static Side side(List<PartWritten> parts, boolean heldOut) {
        record Placed(Written row, int position) {}
        List<Placed> placed = new ArrayList<>();
        List<String> used = new ArrayList<>();
        for (PartWritten p : parts) {
            int before = placed.size();
            for (Written w : p.rows()) {
                if (w.heldOut() == heldOut) {
                    placed.add(new Placed(w, placed.size()));
                }
            }
            if (placed.size() > before) {
                used.add(p.name());
            }
        }
        placed.sort(Comparator.comparing((Placed p) -> p.row().splitKey())
                .thenComparingInt(p -> p.row().shots()));
        return new Side(
                List.copyOf(used), placed.stream().mapToInt(Placed::position).toArray());
    }

    /** Trains one network from its training rows, copied to local disk first where they are remote. */
    PredictorTrainer.TrainedNetwork train(
            PredictorTrainer trainer,
            PredictorKind kind,
            PredictorTrainer.NetworkJob job,
            Configuration conf,
            Device device) {
        NetworkSpec spec = job.spec();
        try (LocalCopy local = LocalCopy.of(conf, root + "/" + networkFolder(TRAIN, kind, job.index()));
                RowFile file = RowFile.open(parts(local.path(), train), spec.inputs() + spec.outputs())) {
            return trainer.train(job, NetworkRows.stored(file, spec.inputs(), train.positions()), device);
        }
    }

    /** The held-out metrics of a predictor's trained networks, read {@link PredictorEvaluator#BATCH} rows at a time. */
    PredictorMetrics evaluate(PredictorKind kind, List<NetworkWeights> networks, Configuration conf, Device device) {
        return onHeldOut(kind, networks, conf, rows -> PredictorEvaluator.evaluate(networks, shape, rows, device));
    }

    /** The held-out drift of the trained networks with their weights stored at each of {@code precisions}. */
    List<PrecisionMetrics> evaluate(
            PredictorKind kind,
            List<NetworkWeights> networks,
            List<PredictorPrecision> precisions,
            Configuration conf,
            Device device) {
        return onHeldOut(kind, networks, conf, rows -> precisions.stream()
                .map(p -> PrecisionMetrics.evaluate(networks, p, shape, rows, device))
                .toList());
    }

    /** {@code use} of the held-out rows as {@code kind}'s networks read them, open for the call. */
    private <T> T onHeldOut(
            PredictorKind kind,
            List<NetworkWeights> networks,
            Configuration conf,
            java.util.function.Function<EvaluationRows, T> use) {
        List<RowFile> features = new ArrayList<>();
        try (LocalCopy local = LocalCopy.of(conf, root + "/" + HELD_OUT)) {
            Path base = local.path();
            try (RowFile truth =
                    RowFile.open(parts(base.resolve(TRUTH), heldOut), shape.layers() * (shape.heads() + shape.ffn()))) {
                for (int n = 0; n < networks.size(); n++) {
                    features.add(RowFile.open(
                            parts(base.resolve(kind.key()).resolve(Integer.toString(n)), heldOut),
                            networks.get(n).spec().inputs()));
                }
                return use.apply(EvaluationRows.stored(features, truth, shape, heldOut.positions()));
            } finally {
                features.forEach(RowFile::close);
            }
        }
    }

    /** Removes the files. */
    void delete(Configuration conf) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(root);
        try {
            path.getFileSystem(conf).delete(path, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the training rows at " + root, e);
        }
    }

    private static List<Path> parts(Path folder, Side side) {
        return side.parts().stream().map(folder::resolve).toList();
    }

    private static String networkFolder(String side, PredictorKind kind, int network) {
        return side + "/" + kind.key() + "/" + network;
    }

    /**
     * A part's files are named for the task attempt that writes them: a retried or speculative attempt
     * writes its own, and only those of the attempt whose result the driver received are read.
     */
    private static String partName(int part) {
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        return String.format("part-%05d-%d", part, task == null ? 0 : task.taskAttemptId());
    }
}
