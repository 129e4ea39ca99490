package org.shadowllm.bench.engine;

/** Bytes per second the pool's threads read from memory, summing a buffer far larger than the caches. */
public final class ReadBandwidth {
    private ReadBandwidth() {}

    /** Best of {@code tries} (after one warm-up) over a {@code megabytes} MB fp32 buffer. */
    public static double measure(WorkerPool pool, int megabytes, int tries) {
        float[] buffer = new float[megabytes * (1 << 20) / 4];
        java.util.Arrays.fill(buffer, 1f);
        float[] sinks = new float[pool.threads()];
        int chunk = (buffer.length + pool.threads() - 1) / pool.threads();
        double best = Double.MAX_VALUE;
        for (int i = 0; i <= tries; i++) {
            long start = System.nanoTime();
            pool.run(pool.threads(), (from, to) -> {
                for (int t = from; t < to; t++) {
                    int off = t * chunk;
                    sinks[t] += VectorKernels.sum(buffer, off, Math.min(chunk, buffer.length - off));
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            if (i > 0) {
                best = Math.min(best, seconds);
            }
        }
        if (!(sinks[0] > 0)) {
            throw new IllegalStateException("bandwidth probe summed nothing");
        }
        return 4.0 * buffer.length / best;
    }
}
