package org.shadowllm.jobs.tools;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.tables.CriteriaManifest;
import org.shadowllm.jobs.tables.CriteriaTables;

/**
 * Capacity planning for the criteria job at OPT-1.3B, 13B and 30B, from a criteria run measured on this
 * machine: bytes per row (from the tables' array widths), table sizes for 7 tasks × 3 shot counts × 500
 * examples, memory a set needs, and seconds per example on an A100 estimated from FLOPs and the
 * efficiency (achieved ÷ GEMM FLOP/s) the measured run reached here. The FLOP model's constant factor
 * cancels: the estimate is the measured seconds per example × the FLOP ratio of the two shapes × this
 * machine's GEMM rate ÷ the A100's. Not a test.
 *
 * <p>Arguments: {@code [criteria output=out/criteria] [examples per set=500] [chunk=64]}.
 */
public final class CapacityPlan {
    /** A100 fp32 (PyTorch leaves TF32 off for matmuls by default), FLOP/s. */
    private static final double A100_FP32 = 19.5e12;

    private record Shape4(String name, int layers, int hidden, int heads, int ffn) {}

    private static final List<Shape4> MODELS = List.of(
            new Shape4("opt-1.3b", 24, 2048, 32, 8192),
            new Shape4("opt-13b", 40, 5120, 40, 20480),
            new Shape4("opt-30b", 48, 7168, 56, 28672));
    private static final int VOCAB = 50272;
    private static final int SETS = 7 * 3;

    private CapacityPlan() {}

    public static void main(String[] args) throws IOException {
        String criteria = args.length > 0 ? args[0] : "out/criteria";
        int perSet = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int chunk = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        CriteriaManifest run = lastManifest(criteria + "/" + CriteriaTables.MANIFESTS);
        DecoderConfig measured = run.inputs().modelConfig();
        long examples = run.sets().stream()
                .mapToLong(CriteriaManifest.SetEntry::examples)
                .sum();
        // the run's wall time, start-up and writing included: the estimate errs on the slow side
        double seconds = run.seconds();
        boolean grasp = run.options().criteria().contains(ImportanceCriterion.GRASP.key());
        double tokens;
        SparkSession spark = JobLauncher.session("local[2]", new SparkConf().set("spark.ui.enabled", "false"));
        try {
            tokens = spark.read()
                    .parquet(criteria + "/" + CriteriaTables.EXAMPLES)
                    .where("run_id = '" + run.runId() + "'")
                    .selectExpr("avg(prompt_tokens)")
                    .first()
                    .getDouble(0);
        } finally {
            spark.stop();
        }
        double achieved = flopsPerExample(
                        measured.numLayers(),
                        measured.hiddenSize(),
                        measured.ffnDim(),
                        measured.vocabSize(),
                        tokens,
                        grasp)
                * examples
                / seconds;
        double gemm = gemmFlops();
        double efficiency = achieved / gemm;
        System.out.printf(
                "measured: run %s, %d examples of %.0f tokens (mean) on %d layers × %d wide, %s, %.1f s wall:"
                        + " %.2f GFLOP/s against a %.1f GFLOP/s GEMM here: efficiency %.3f%n",
                run.runId(),
                examples,
                tokens,
                measured.numLayers(),
                measured.hiddenSize(),
                grasp ? "grasp included" : "no grasp",
                seconds,
                achieved / 1e9,
                gemm / 1e9,
                efficiency);
        System.out.printf(
                "%-9s %12s %14s %16s %16s %14s %14s %14s %14s %14s %16s%n",
                "model",
                "params",
                "examples row",
                "unit rows/set",
                "examples table",
                "units table",
                "chunk rows",
                "set state",
                "model+grads",
                "training rows",
                "A100 s/example");
        for (Shape4 m : MODELS) {
            long params = (long) m.layers() * (4L * m.hidden() * m.hidden() + 2L * m.hidden() * m.ffn())
                    + (long) VOCAB * m.hidden();
            long rowBytes = exampleRowBytes(m);
            long unitRows = unitRowsPerSet(m);
            long unitTable = unitRows * SETS * 64;
            long examplesTable = rowBytes * perSet * SETS;
            double a100 =
                    flopsPerExample(m.layers(), m.hidden(), m.ffn(), VOCAB, tokens, grasp) / (A100_FP32 * efficiency);
            System.out.printf(
                    "%-9s %11.2fB %13s %16d %16s %14s %14s %14s %14s %14s %16.3f%n",
                    m.name(),
                    params / 1e9,
                    bytes(rowBytes),
                    unitRows,
                    bytes(examplesTable),
                    bytes(unitTable),
                    bytes(rowBytes * chunk),
                    bytes(setStateBytes(m)),
                    bytes(8 * params),
                    bytes(trainingRowBytes(m) * perSet * SETS),
                    a100);
        }
        System.out.println("bytes are uncompressed values (Parquet compresses the floats little); a unit row is "
                + "taken as 64 bytes; 'chunk rows' is one chunk's example rows (" + chunk + " examples), what a "
                + "task holds; 'set state' is a set's running statistics and jacov draws, held once per set "
                + "being merged; 'model+grads' is fp32 weights and their gradients; 'training rows' is the "
                + "trainer's row files for the default predictors (shadowllm-split, dejavu), on the output's "
                + "file system while it trains");
    }

    /**
     * A set's running state: four doubles per unit and per-example criterion, and jacov's draws (10 ×
     * 200 gradient rows per head at most, about 40 bytes of bookkeeping each). Epenas' class vectors
     * (every target position) come on top and grow with the set.
     */
    static long setStateBytes(Shape4 m) {
        long stats = 4L * 8 * ImportanceCriterion.values().length * m.layers() * (m.heads() + (long) m.ffn());
        long draws = (long) m.layers() * m.heads() * 2000 * (4L * (m.hidden() / m.heads()) + 16 + 40);
        return stats + draws;
    }

    /** The floats of one criteria_examples row: four feature arrays, and per criterion head and neuron scores. */
    static long exampleRowBytes(Shape4 m) {
        long floats = 4L * m.layers() * m.hidden()
                + (long) ImportanceCriterion.values().length * m.layers() * (m.heads() + (long) m.ffn());
        return 4 * floats + 256;
    }

    /**
     * The trainer's row files per row, for the default predictors: every network's input and targets
     * (a held-out row stores the inputs and the truth instead: about as much).
     */
    static long trainingRowBytes(Shape4 m) {
        PredictorShape shape = new PredictorShape(m.layers(), m.heads(), m.ffn(), m.hidden());
        long floats = 0;
        for (PredictorKind kind : List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU)) {
            for (NetworkSpec spec : kind.networks(shape, kind.defaultHidden())) {
                floats += spec.inputs() + (long) spec.outputs();
            }
        }
        return 4 * floats;
    }

    /** unit_importance rows per set: every unit under every per-example criterion, heads under the set ones. */
    static long unitRowsPerSet(Shape4 m) {
        return (long) ImportanceCriterion.values().length * m.layers() * (m.heads() + (long) m.ffn())
                + 2L * m.layers() * m.heads();
    }

    /** Forward and backward (about 3× a forward) per example; grasp adds three more such passes. */
    static double flopsPerExample(int layers, int hidden, int ffn, int vocab, double tokens, boolean grasp) {
        double perToken =
                2.0 * ((double) layers * (4.0 * hidden * hidden + 2.0 * hidden * ffn) + (double) vocab * hidden);
        return (grasp ? 4 : 1) * 3 * perToken * tokens;
    }

    private static CriteriaManifest lastManifest(String dir) {
        CriteriaManifest last = null;
        for (CriteriaManifest m : CriteriaManifest.readAll(
                new org.apache.hadoop.conf.Configuration(),
                dir,
                problem -> System.out.println("skipped: " + problem))) {
            boolean computed = m.sets().stream().anyMatch(s -> s.examples() > 0);
            if (computed && (last == null || last.finishedAt().compareTo(m.finishedAt()) < 0)) {
                last = m;
            }
        }
        if (last == null) {
            throw new IllegalArgumentException("no run in " + dir + " computed any set; run the criteria job first");
        }
        return last;
    }

    /** Median FLOP/s of a [512 × 1024] × [1024 × 1024] fp32 product here, after warm-up. */
    private static double gemmFlops() {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu());
                Autograd paused = Autograd.pause()) {
            SplittableRandom rnd = new SplittableRandom(3);
            float[] a = new float[512 * 1024];
            float[] b = new float[1024 * 1024];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextDouble();
                if (i < a.length) {
                    a[i] = (float) rnd.nextDouble();
                }
            }
            NDArray x = Tensors.of(nd, a, new Shape(512, 1024));
            NDArray y = Tensors.of(nd, b, new Shape(1024, 1024));
            double[] t = new double[25];
            for (int r = 0; r < t.length; r++) {
                long start = System.nanoTime();
                try (NDArray c = x.matMul(y)) {
                    c.getFloat(0, 0);
                }
                t[r] = (System.nanoTime() - start) / 1e9;
            }
            double[] kept = Arrays.copyOfRange(t, 5, t.length);
            Arrays.sort(kept);
            return 2.0 * 512 * 1024 * 1024 / kept[kept.length / 2];
        }
    }

    private static String bytes(long b) {
        return b >= 1L << 30
                ? String.format("%.1f GiB", b / (double) (1L << 30))
                : String.format("%.1f MiB", b / (double) (1L << 20));
    }
}
