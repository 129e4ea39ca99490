package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLockTest {
    @TempDir
    Path dir;

    static OutputLock acquire(String out, String runId) {
        return OutputLock.acquire(new Configuration(), out, runId, "criteria", false);
    }

    @Test
    void aSecondRunOnTheSameOutputFailsAtOnceNamingTheFirst() {
        String out = dir.resolve("out").toString();
        try (OutputLock first = acquire(out, "run-a")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> acquire(out, "run-b"));
            assertTrue(e.getMessage().contains("in use by run run-a"), e.getMessage());
            assertTrue(e.getMessage().contains(OutputLock.RELEASE_OPTION), e.getMessage());
        }
        acquire(out, "run-b").close();
    }

    /** A complete lock of this host, boot and pid namespace whose pid is gone: provably dead. */
    @Test
    void aLockLeftByADeadProcessOnThisHostIsTakenOver() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path out = Files.createDirectories(dir.resolve("stale"));
        LockHolder.ProcessIdentity me = LockHolder.ProcessIdentity.current();
        LockHolder dead = new LockHolder(
                "killed",
                "criteria",
                new LockHolder.ProcessIdentity(me.host(), me.bootId(), me.pidNamespace(), p.pid(), 1L),
                "t",
                "then");
        Files.writeString(out.resolve(OutputLock.NAME), dead.text());
        try (OutputLock next = acquire(out.toString(), "next")) {
            assertTrue(Files.readString(out.resolve(OutputLock.NAME)).contains("run_id=next"));
        }
        assertFalse(Files.exists(out.resolve(OutputLock.NAME)));
    }

    /** Empty (a holder between its create and its write), partial, or another host's: held, never deleted. */
    @Test
    void aLockThatIsEmptyPartialOrAnotherHostsIsHeldAndLeftInPlace() throws Exception {
        LockHolder me = LockHolder.current("other", "criteria");
        LockHolder.ProcessIdentity here = me.process();
        LockHolder elsewhere = new LockHolder(
                "other",
                "criteria",
                new LockHolder.ProcessIdentity("another-host", here.bootId(), here.pidNamespace(), 1L, 1L),
                "t",
                "then");
        LockHolder otherNamespace = new LockHolder(
                "other",
                "criteria",
                new LockHolder.ProcessIdentity(here.host(), here.bootId(), "pid:[1]", 999_999_999L, 1L),
                "t",
                "then");
        String complete = me.text();
        for (String content :
                new String[] {"", complete.substring(0, complete.length() / 2), elsewhere.text(), otherNamespace.text()
                }) {
            Path out = Files.createDirectories(dir.resolve("held-" + content.hashCode()));
            Files.writeString(out.resolve(OutputLock.NAME), content);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> acquire(out.toString(), "r"));
            assertTrue(e.getMessage().contains("in use by"), e.getMessage());
            assertEquals(content, Files.readString(out.resolve(OutputLock.NAME)), "left as it was");
        }
    }

    @Test
    void theReleaseOptionReleasesALockThatIsNotProvablyDead() throws Exception {
        Path out = Files.createDirectories(dir.resolve("release"));
        Files.writeString(out.resolve(OutputLock.NAME), "");
        try (OutputLock lock = OutputLock.acquire(new Configuration(), out.toString(), "r", "criteria", true)) {
            assertTrue(Files.readString(out.resolve(OutputLock.NAME)).contains("run_id=r"));
        }
    }

    /** close() and the commit check the owner token: a newer holder's lock is neither deleted nor committed over. */
    @Test
    void aRunThatLostItsLockNeitherDeletesTheNewHoldersLockNorCommits() throws Exception {
        Path out = dir.resolve("lost");
        OutputLock first = acquire(out.toString(), "first");
        Files.delete(out.resolve(OutputLock.NAME)); // a user released it by hand
        try (OutputLock second = acquire(out.toString(), "second")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, first::requireOwned);
            assertTrue(e.getMessage().contains("no longer holds the lock"), e.getMessage());
            first.close();
            assertTrue(Files.readString(out.resolve(OutputLock.NAME), StandardCharsets.UTF_8)
                    .contains("run_id=second"));
            second.requireOwned();
        }
    }

    @Test
    void anOutputFolderTheLockCreatedAndNothingFilledIsRemoved() {
        Path out = dir.resolve("fresh");
        acquire(out.toString(), "r").close();
        assertFalse(Files.exists(out), "nothing half-written");
    }
}
