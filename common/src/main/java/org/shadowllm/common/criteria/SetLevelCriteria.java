package org.shadowllm.common.criteria;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import org.shadowllm.common.model.DecoderConfig;

/**
 * Set-level (static) criteria over the examples of one task and shot count: {@code jacov} and
 * {@code epenas} for heads. Feed examples computed with {@link CriteriaOptions#withHeadGradients()},
 * then call {@link #result()}.
 *
 * <p>A set may be accumulated in chunks: {@link #startingAt} accumulates the examples from a given
 * index of the set, and {@link #merge} appends the next chunk. The result equals one accumulator over
 * the whole set.
 *
 * <p>{@code jacov} makes CRITERIA.md's draws as seeded bottom-k samples: in draw d, each non-zero
 * gradient row of a head gets a key hashed from (seed, d, head, example index, position), and the
 * {@code jacovRows} rows with the smallest keys are the draw. That is a uniform draw without
 * replacement over all of the set's rows, independent between draws; it keeps at most
 * {@code jacovDraws × jacovRows} rows per head however large the set, and it merges across chunks. A
 * zero-variance row is treated as uncorrelated with every other row (NumPy would give NaN). {@code epenas} is NaN for a head where no class has more
 * than 4 vectors.
 */
public final class SetLevelCriteria implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final double EPS = 1e-5;

    /** Options with CRITERIA.md's defaults: 10 draws of 200 rows. */
    public record Options(int jacovDraws, int jacovRows, long seed) implements Serializable {
        public Options {
            if (jacovDraws < 1 || jacovRows < 2) {
                throw new IllegalArgumentException("need jacovDraws ≥ 1 and jacovRows ≥ 2");
            }
        }

        public static Options defaults(long seed) {
            return new Options(10, 200, seed);
        }
    }

    /**
     * Set-level scores, {@code [layer][head]}. Per-unit means of the per-example criteria are not here:
     * they merge as plain sums, wherever the examples' scores are kept.
     */
    public record Result(int examples, double[][] jacov, double[][] epenas) {}

    /** A kept gradient row: its sampling key, and its place in the set ({@code example << 32 | position}). */
    private record PoolRow(long key, long place, float[] row) implements Comparable<PoolRow>, Serializable {
        @Override
        public int compareTo(PoolRow o) {
            int c = Long.compare(key, o.key);
            return c != 0 ? c : Long.compare(place, o.place);
        }
    }

    private final DecoderConfig config;
    private final Options options;
    private final int first;
    /** Per head and draw ({@code unit × draws + draw}), the kept rows, the largest key first to evict. */
    private final List<PriorityQueue<PoolRow>> pools = new ArrayList<>();

    private final List<TreeMap<Integer, List<float[]>>> classes = new ArrayList<>();
    private int examples;

    public SetLevelCriteria(DecoderConfig config, Options options) {
        this(config, options, 0);
    }

    private SetLevelCriteria(DecoderConfig config, Options options, int first) {
        this.config = config;
        this.options = options;
        this.first = first;
        int units = config.numLayers() * config.numHeads();
        for (int u = 0; u < units; u++) {
            for (int d = 0; d < options.jacovDraws(); d++) {
                pools.add(new PriorityQueue<>(Collections.reverseOrder()));
            }
            classes.add(new TreeMap<>());
        }
    }

    /** An accumulator for a chunk whose first example is example {@code first} of its set. */
    public static SetLevelCriteria startingAt(DecoderConfig config, Options options, int first) {
        if (first < 0) {
            throw new IllegalArgumentException("first example index must be ≥ 0, got " + first);
        }
        return new SetLevelCriteria(config, options, first);
    }

    /** Index in the set of the first example this accumulator holds. */
    public int first() {
        return first;
    }

    public int examples() {
        return examples;
    }

    /** Adds one example; {@code example} supplies the target ids that define epenas' classes. */
    public void add(ScoredExample example, ExampleImportance scores) {
        float[][][][] grads = scores.headGradients();
        if (grads == null) {
            throw new IllegalArgumentException("example '" + scores.id() + "' has no head gradients; compute it with "
                    + "CriteriaOptions.withHeadGradients()");
        }
        int h = config.numHeads();
        int[] tokens = example.tokens();
        int n = example.continuationLength();
        int firstTargetPosition = example.inputLength() - n;
        long index = first + examples;
        for (int l = 0; l < config.numLayers(); l++) {
            for (int t = 0; t < grads[l].length; t++) {
                for (int hh = 0; hh < h; hh++) {
                    float[] row = grads[l][t][hh];
                    int unit = l * h + hh;
                    if (!isZero(row)) {
                        long place = index << 32 | t;
                        for (int d = 0; d < options.jacovDraws(); d++) {
                            offer(pool(unit, d), new PoolRow(sampleKey(d, unit, place), place, row));
                        }
                    }
                    if (t >= firstTargetPosition) {
                        int target = tokens[t + 1];
                        classes.get(unit)
                                .computeIfAbsent(target, k -> new ArrayList<>())
                                .add(row);
                    }
                }
            }
        }
        examples++;
    }

    /**
     * Appends the chunk that follows this one in the set: {@code next} must start where this one ends.
     * {@code next} is consumed.
     */
    public void merge(SetLevelCriteria next) {
        if (next.first != first + examples) {
            throw new IllegalArgumentException("chunks merge in set order: this one holds examples " + first + ".."
                    + (first + examples - 1) + ", the next starts at " + next.first);
        }
        if (!next.config.equals(config) || !next.options.equals(options)) {
            throw new IllegalArgumentException("chunks of one set must share the model config and options");
        }
        for (int p = 0; p < pools.size(); p++) {
            for (PoolRow r : next.pools.get(p)) {
                offer(pools.get(p), r);
            }
        }
        for (int u = 0; u < classes.size(); u++) {
            TreeMap<Integer, List<float[]>> mine = classes.get(u);
            next.classes.get(u).forEach((target, rows) -> mine.computeIfAbsent(target, k -> new ArrayList<>())
                    .addAll(rows));
        }
        examples += next.examples;
    }

    /** Where draw {@code draw}'s rows of head {@code unit} come from ({@code example << 32 | position}), in set order. */
    long[] keptPlaces(int unit, int draw) {
        return pool(unit, draw).stream().mapToLong(PoolRow::place).sorted().toArray();
    }

    private PriorityQueue<PoolRow> pool(int unit, int draw) {
        return pools.get(unit * options.jacovDraws() + draw);
    }

    private void offer(PriorityQueue<PoolRow> pool, PoolRow r) {
        if (pool.size() < options.jacovRows()) {
            pool.add(r);
        } else if (r.compareTo(pool.peek()) < 0) {
            pool.poll();
            pool.add(r);
        }
    }

    /** A 64-bit mix (Stafford's variant 13) of seed, draw, head and place: the row's key in that draw. */
    private long sampleKey(int draw, int unit, long place) {
        long z = options.seed() * 0x9E3779B97F4A7C15L
                + (draw + 1L) * 0xC2B2AE3D27D4EB4FL
                + unit * 0xD1B54A32D192ED03L
                + place * 0x8CB92BA72F3D8DD7L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public Result result() {
        if (examples == 0) {
            throw new IllegalStateException("no examples were added");
        }
        int layers = config.numLayers();
        int h = config.numHeads();
        double[][] jacov = new double[layers][h];
        double[][] epenas = new double[layers][h];
        for (int l = 0; l < layers; l++) {
            for (int hh = 0; hh < h; hh++) {
                int unit = l * h + hh;
                jacov[l][hh] = jacov(unit);
                epenas[l][hh] = epenas(classes.get(unit));
            }
        }
        return new Result(examples, jacov, epenas);
    }

    private static List<float[]> inSetOrder(PriorityQueue<PoolRow> pool) {
        List<PoolRow> kept = new ArrayList<>(pool);
        kept.sort(Comparator.comparingLong(PoolRow::place));
        List<float[]> rows = new ArrayList<>(kept.size());
        for (PoolRow r : kept) {
            rows.add(r.row());
        }
        return rows;
    }

    /** The mean score of the head's draws; NaN where the head has fewer than 2 non-zero rows. */
    private double jacov(int unit) {
        if (pool(unit, 0).size() < 2) {
            return Double.NaN;
        }
        double total = 0;
        for (int draw = 0; draw < options.jacovDraws(); draw++) {
            total += jacovScore(correlationEigenvalues(inSetOrder(pool(unit, draw))));
        }
        return total / options.jacovDraws();
    }

    /** {@code −Σ(ln(|v|+1e-5) + 1/(|v|+1e-5))} over eigenvalues. */
    static double jacovScore(double[] eigenvalues) {
        double s = 0;
        for (double v : eigenvalues) {
            double a = Math.abs(v) + EPS;
            s += Math.log(a) + 1 / a;
        }
        return -s;
    }

    /**
     * Eigenvalues of the n×n row-correlation matrix {@code C = Z Zᵀ} (Z: standardized rows, n×d). Its
     * non-zero eigenvalues are those of the d×d matrix {@code Zᵀ Z}, and the other n − d are exactly 0,
     * so a small symmetric Jacobi solve gives all n. Constant rows contribute an eigenvalue of 1 each.
     */
    static double[] correlationEigenvalues(List<float[]> rows) {
        int n = rows.size();
        int d = rows.get(0).length;
        List<double[]> z = new ArrayList<>(n);
        int constant = 0;
        for (float[] r : rows) {
            double[] s = standardized(r);
            if (s == null) {
                constant++;
            } else {
                z.add(s);
            }
        }
        double[] eig;
        if (z.size() <= d) {
            double[][] c = new double[z.size()][z.size()];
            for (int i = 0; i < z.size(); i++) {
                for (int k = i; k < z.size(); k++) {
                    c[i][k] = c[k][i] = dot(z.get(i), z.get(k));
                }
            }
            eig = SymmetricEigenvalues.of(c);
        } else {
            double[][] g = new double[d][d];
            for (double[] row : z) {
                for (int a = 0; a < d; a++) {
                    for (int b = a; b < d; b++) {
                        g[a][b] += row[a] * row[b];
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < a; b++) {
                    g[a][b] = g[b][a];
                }
            }
            eig = SymmetricEigenvalues.of(g);
        }
        double[] all = new double[n];
        System.arraycopy(eig, 0, all, 0, eig.length);
        for (int i = 0; i < constant; i++) {
            all[eig.length + i] = 1;
        }
        return all;
    }

    /** The row centred and scaled to unit length, or null when it is constant. */
    private static double[] standardized(float[] r) {
        int d = r.length;
        double mean = 0;
        for (float v : r) {
            mean += v;
        }
        mean /= d;
        double[] z = new double[d];
        double ss = 0;
        for (int j = 0; j < d; j++) {
            z[j] = r[j] - mean;
            ss += z[j] * z[j];
        }
        if (ss == 0) {
            return null;
        }
        double inv = 1 / Math.sqrt(ss);
        for (int j = 0; j < d; j++) {
            z[j] *= inv;
        }
        return z;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double epenas(Map<Integer, List<float[]>> byClass) {
        List<Double> scores = new ArrayList<>();
        for (List<float[]> vectors : byClass.values()) {
            if (vectors.size() > 4) {
                double s = 0;
                for (double[] row : correlation(vectors)) {
                    for (double v : row) {
                        s += Math.log(Math.abs(v) + EPS);
                    }
                }
                scores.add(s);
            }
        }
        if (scores.isEmpty()) {
            return Double.NaN;
        }
        double total = 0;
        for (double a : scores) {
            for (double b : scores) {
                total += Math.abs(a - b);
            }
        }
        return total;
    }

    /** Pearson correlation between rows, as {@code numpy.corrcoef(rows)}; constant rows correlate with none. */
    static double[][] correlation(List<float[]> rows) {
        int n = rows.size();
        double[][] z = new double[n][];
        for (int i = 0; i < n; i++) {
            z[i] = standardized(rows.get(i));
        }
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = i; k < n; k++) {
                c[i][k] = c[k][i] = z[i] == null || z[k] == null ? (i == k ? 1 : 0) : dot(z[i], z[k]);
            }
        }
        return c;
    }

    private static boolean isZero(float[] row) {
        for (float v : row) {
            if (v != 0f) {
                return false;
            }
        }
        return true;
    }
}
