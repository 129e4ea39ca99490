package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void whenTheCallersOwnChunkThrowsRunReturnsOnlyAfterEveryWorkerFinished() {
        AtomicInteger finished = new AtomicInteger();
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> pool.run(3, (from, to) -> {
                        if (from == 0) {
                            throw new IllegalStateException("caller's chunk failed");
                        }
                        sleep(300);
                        finished.incrementAndGet();
                    }));
            assertEquals("caller's chunk failed", e.getMessage());
            // the two workers' chunks must be over when run gives control back
            assertEquals(2, finished.get());
            // and the pool still works afterwards
            AtomicInteger sum = new AtomicInteger();
            pool.run(30, (from, to) -> sum.addAndGet(to - from));
            assertEquals(30, sum.get());
        }
    }

    @Test
    void aWorkersFailureReachesTheCallerWithTheCallersOwnFailureFirst() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> pool.run(2, (from, to) -> {
                        if (from == 0) {
                            sleep(100);
                            throw new IllegalStateException("caller");
                        }
                        throw new IllegalArgumentException("worker");
                    }));
            assertEquals("caller", e.getMessage());
            assertEquals(1, e.getSuppressed().length);
            assertEquals("worker", e.getSuppressed()[0].getMessage());
        }
    }

    @Test
    void runAfterCloseIsRefusedInsteadOfWaitingForever() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(100, (from, to) -> {}));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
