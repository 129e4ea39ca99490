package org.shadowllm.bench.microbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;

/**
 * What one FFN matrix costs per decode token on this machine: a dense GEMV over all rows against
 * gathering the kept half of the rows (row gather, and advanced indexing) and a GEMV over them, in
 * one run. Args: rows cols keep-fraction repeats (default: OPT-1.3b's fc1, 8192 2048 0.5 20).
 */
public final class RowGatherBenchmark {
    private RowGatherBenchmark() {}

    public static void main(String[] args) {
        String[] a = args.length == 4 ? args : new String[] {"8192", "2048", "0.5", "20"};
        int rows = Integer.parseInt(a[0]);
        int cols = Integer.parseInt(a[1]);
        int kept = (int) Math.round(Double.parseDouble(a[2]) * rows);
        int repeats = Integer.parseInt(a[3]);
        SplittableRandom rnd = new SplittableRandom(1);
        long[] idx = rnd.longs(0, rows).distinct().limit(kept).sorted().toArray();
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Autograd paused = Autograd.pause()) {
            NDArray w = m.randomNormal(new Shape(rows, cols)).toType(DataType.FLOAT32, false);
            NDArray x = m.randomNormal(new Shape(1, cols)).toType(DataType.FLOAT32, false);
            NDArray index = Tensors.of(m, idx, new Shape(kept));
            String[] names = {
                "dense GEMV, all rows",
                "row gather of kept rows",
                "advanced-index gather of kept rows",
                "row gather + GEMV"
            };
            double[][] ms = new double[names.length][repeats];
            for (int r = -2; r < repeats; r++) {
                for (int k = 0; k < names.length; k++) {
                    long start = System.nanoTime();
                    try (NDManager s = m.newSubManager()) {
                        NDArray out =
                                switch (k) {
                                    case 0 -> x.matMul(Tensors.transposed(w, s));
                                    case 1 -> gather(w, index);
                                    case 2 -> w.get(s, new NDIndex("{}", index));
                                    default -> x.matMul(Tensors.transposed(gather(w, index), s));
                                };
                        out.attach(s);
                        out.get("0, 0").getFloat();
                    }
                    if (r >= 0) {
                        ms[k][r] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            System.out.printf(
                    "matrix %d×%d fp32 (%.1f MB), keeping %d rows; median of %d, interleaved%n",
                    rows, cols, 4.0 * rows * cols / 1e6, kept, repeats);
            double dense = median(ms[0]);
            for (int k = 0; k < names.length; k++) {
                System.out.printf(
                        "%-36s %8.3f ms  %6.2f× dense GEMV%n", names[k], median(ms[k]), median(ms[k]) / dense);
            }
        }
    }

    private static NDArray gather(NDArray w, NDArray index) {
        return w.getNDArrayInternal().embedding(index, w, SparseFormat.DENSE).singletonOrThrow();
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
