package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * One JVM contending for an output's lock, round by round, for {@code LockRaceTest}: at {@code go-r} it
 * tries the lock; it reports {@code won-r-<pid>} (then holds the lock until {@code release-r} and checks
 * it still owns it) or {@code lost-r-<pid>}. Arguments: {@code output rounds signals}.
 */
public final class LockContender {
    public static void main(String[] args) throws IOException, InterruptedException {
        String output = args[0];
        int rounds = Integer.parseInt(args[1]);
        Path signals = Path.of(args[2]);
        long pid = ProcessHandle.current().pid();
        for (int r = 0; r < rounds; r++) {
            await(signals.resolve("go-" + r));
            OutputLock lock;
            try {
                lock = OutputLock.acquire(new Configuration(), output, "p" + pid, "criteria", false);
            } catch (IllegalStateException e) {
                Files.writeString(signals.resolve("lost-" + r + "-" + pid), e.getMessage());
                continue;
            }
            Files.writeString(signals.resolve("won-" + r + "-" + pid), "");
            await(signals.resolve("release-" + r));
            lock.requireOwned();
            lock.close();
            Files.writeString(signals.resolve("closed-" + r), "");
        }
    }

    static void await(Path file) throws InterruptedException {
        while (!Files.exists(file)) {
            Thread.sleep(1);
        }
    }
}
