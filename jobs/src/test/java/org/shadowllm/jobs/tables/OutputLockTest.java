package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondRunOnTheSameOutputFailsAtOnceNamingTheFirst() {
        String out = dir.resolve("out").toString();
        try (OutputLock first = OutputLock.acquire(new Configuration(), out, "run-a")) {
            IllegalStateException e = assertThrows(
                    IllegalStateException.class, () -> OutputLock.acquire(new Configuration(), out, "run-b"));
            assertTrue(e.getMessage().contains("in use by run run-a"), e.getMessage());
        }
        OutputLock.acquire(new Configuration(), out, "run-b").close();
    }

    @Test
    void aLockLeftByADeadProcessOnThisHostIsTakenOver() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path out = Files.createDirectories(dir.resolve("stale"));
        Files.writeString(
                out.resolve(OutputLock.NAME),
                "run_id=killed\nhost=" + InetAddress.getLocalHost().getHostName() + "\npid=" + p.pid() + "\n");
        OutputLock.acquire(new Configuration(), out.toString(), "next").close();
        assertFalse(Files.exists(out.resolve(OutputLock.NAME)));
    }

    @Test
    void anOutputFolderTheLockCreatedAndNothingFilledIsRemoved() {
        Path out = dir.resolve("fresh");
        OutputLock.acquire(new Configuration(), out.toString(), "r").close();
        assertFalse(Files.exists(out), "nothing half-written");
    }
}
