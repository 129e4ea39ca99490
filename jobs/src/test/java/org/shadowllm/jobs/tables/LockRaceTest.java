package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.jobs.runtime.ChildJvm;

/**
 * Many contenders for one output, many rounds, with a pause between creating the lock file and
 * writing it (the window in which the old local lock truncated a holder's file and an empty lock was
 * taken over): exactly one holder a round, and each holder still owns its lock when it releases it.
 */
class LockRaceTest {
    @TempDir
    Path dir;

    @AfterEach
    void noPause() {
        OutputLock.afterCreate = () -> {};
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Rounds of {@code threads} contenders; the holders each round. */
    private static void race(Configuration conf, String output, int threads, int rounds) throws Exception {
        OutputLock.afterCreate = () -> pause(5);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int r = 0; r < rounds; r++) {
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<OutputLock>> tries = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String runId = "r" + r + "t" + t;
                    tries.add(pool.submit(() -> {
                        start.await();
                        try {
                            return OutputLock.acquire(conf, output, runId, "criteria", false);
                        } catch (IllegalStateException e) {
                            assertTrue(e.getMessage().contains("in use by"), e.getMessage());
                            return null;
                        }
                    }));
                }
                List<OutputLock> holders = new ArrayList<>();
                for (Future<OutputLock> f : tries) {
                    if (f.get() != null) {
                        holders.add(f.get());
                    }
                }
                assertEquals(1, holders.size(), "round " + r + ": one holder");
                holders.get(0).requireOwned();
                holders.get(0).close();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadsRacingForALocalOutputGetExactlyOneHolderEachRound() throws Exception {
        Path output = Files.createDirectories(dir.resolve("out"));
        Files.writeString(output.resolve("keep"), "so the folder stays between rounds");
        race(new Configuration(), output.toString(), 6, 25);
        assertFalse(Files.exists(output.resolve(OutputLock.NAME)));
    }

    @Test
    void threadsRacingForAnHdfsOutputGetExactlyOneHolderEachRound() throws Exception {
        try (TestHdfs hdfs = TestHdfs.start(dir.resolve("dfs"), List.of())) {
            String output = hdfs.uri() + "/out";
            hdfs.fs().mkdirs(new org.apache.hadoop.fs.Path(output));
            hdfs.fs().create(new org.apache.hadoop.fs.Path(output + "/keep")).close();
            race(hdfs.fs().getConf(), output, 4, 8);
            assertFalse(hdfs.fs().exists(new org.apache.hadoop.fs.Path(output, OutputLock.NAME)));
        }
    }

    @Test
    void twoJvmsRacingForALocalOutputGetExactlyOneHolderEachRound() throws Exception {
        Path output = Files.createDirectories(dir.resolve("out"));
        Files.writeString(output.resolve("keep"), "");
        Path signals = Files.createDirectories(dir.resolve("signals"));
        int rounds = 15;
        List<ChildJvm> jvms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            jvms.add(ChildJvm.start(
                    dir.resolve("contender-" + i + ".log"),
                    List.of("shadowllm.test.lockPauseMillis=20"),
                    LockContender.class,
                    output.toString(),
                    Integer.toString(rounds),
                    signals.toString()));
        }
        try {
            for (int r = 0; r < rounds; r++) {
                Files.writeString(signals.resolve("go-" + r), "");
                String round = "-" + r + "-";
                long deadline = System.nanoTime() + 60_000_000_000L;
                List<String> reports;
                do {
                    Thread.sleep(2);
                    try (Stream<Path> s = Files.list(signals)) {
                        reports = s.map(p -> p.getFileName().toString())
                                .filter(n -> (n.startsWith("won") || n.startsWith("lost")) && n.contains(round))
                                .toList();
                    }
                    for (ChildJvm j : jvms) {
                        assertTrue(j.process().isAlive() || System.nanoTime() < deadline, j.output());
                    }
                } while (reports.size() < 2 && System.nanoTime() < deadline);
                assertEquals(
                        1, reports.stream().filter(n -> n.startsWith("won")).count(), "round " + r + ": " + reports);
                Files.writeString(signals.resolve("release-" + r), "");
                for (ChildJvm j : jvms) {
                    j.awaitFile(signals.resolve("closed-" + r));
                    break;
                }
            }
            for (ChildJvm j : jvms) {
                assertTrue(j.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS), j.output());
                assertEquals(0, j.process().exitValue(), j.output());
            }
        } finally {
            jvms.forEach(j -> j.process().destroyForcibly());
        }
        assertFalse(Files.exists(output.resolve(OutputLock.NAME)));
    }
}
