package org.shadowllm.bench.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads, reused for every token: {@link #run} splits {@code [0, n)} into one contiguous
 * chunk per thread, the caller taking the first. Waiting threads spin for {@code SPIN_NANOS} (property
 * {@code shadowllm.engine.spinNanos}, default 50 µs), then park, so a decode step's dozens of parallel
 * sections cost microseconds each and no allocation, while a long serial phase (planning) runs without a
 * spinning sibling. One caller at a time. {@link #run} returns, or throws, only once every worker is done
 * with its chunk, and refuses work after {@link #close}.
 */
public final class WorkerPool implements AutoCloseable {
    /** Work on {@code [from, to)}; called from several threads at once on disjoint ranges. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** Work on {@code [from, to)} by worker {@code worker} (0 is the caller), for per-worker buffers. */
    @FunctionalInterface
    public interface WorkerRange {
        void run(int worker, int from, int to);
    }

    /** How long a waiting thread spins before it parks: long enough to bridge a decode step's sections. */
    private static final long SPIN_NANOS = Long.getLong("shadowllm.engine.spinNanos", 50_000L);

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Range task;
    private volatile WorkerRange workerTask;
    private volatile int size;
    private volatile int grain;
    private volatile Thread caller;
    private volatile Throwable failure;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a pool needs at least one thread, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            workers[i] = new Thread(() -> work(index), "decode-worker-" + index);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** One thread per available core. */
    public static WorkerPool perCore() {
        return new WorkerPool(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code r} over {@code [0, n)}; chunk boundaries are multiples of {@code align} (except the end). */
    public void run(int n, int align, Range r) {
        start(n, align, r, null);
    }

    /** As {@link #run(int, int, Range)}, telling each chunk which worker runs it. */
    public void run(int n, int align, WorkerRange r) {
        start(n, align, null, r);
    }

    private void start(int n, int align, Range r, WorkerRange wr) {
        if (closed) {
            // the workers have exited: nobody would ever count down what we wait for
            throw new IllegalStateException("this worker pool is closed");
        }
        if (n <= 0) {
            return;
        }
        int chunk = (n + threads - 1) / threads;
        chunk = (chunk + align - 1) / align * align;
        if (threads == 1 || n <= align) {
            call(r, wr, 0, 0, n);
            return;
        }
        task = r;
        workerTask = wr;
        size = n;
        grain = chunk;
        caller = Thread.currentThread();
        failure = null;
        pending.set(threads - 1);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            call(r, wr, 0, 0, Math.min(n, chunk));
        } catch (Throwable t) {
            own = t;
        }
        // whatever the caller's chunk did, the workers still hold the caller's buffers: never return before them
        long spinStart = System.nanoTime();
        while (pending.get() > 0) {
            if (System.nanoTime() - spinStart < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        task = null;
        workerTask = null;
        Throwable t = failure;
        if (own != null) {
            if (t != null && t != own) {
                own.addSuppressed(t);
            }
            t = own;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw t instanceof RuntimeException re ? re : new IllegalStateException("decode worker failed", t);
        }
    }

    /** {@link #run} with no alignment. */
    public void run(int n, Range r) {
        run(n, 1, r);
    }

    private void work(int index) {
        int seen = 0;
        while (true) {
            long spinStart = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            int from = Math.min(size, index * grain);
            int to = Math.min(size, from + grain);
            try {
                if (from < to) {
                    call(task, workerTask, index, from, to);
                }
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    private static void call(Range r, WorkerRange wr, int worker, int from, int to) {
        if (r != null) {
            r.run(from, to);
        } else {
            wr.run(worker, from, to);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
