package org.shadowllm.jobs.runtime;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.shadowllm.common.SharedPaths;

/** A main class of the tests run in a JVM of its own, on the tests' class path: real exits and real kills. */
public final class ChildJvm {
    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code main} with {@code args}, its output in {@code log}; {@code props} as {@code -Dk=v}. */
    public static ChildJvm start(Path log, List<String> props, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dshadowllm.shared=" + SharedPaths.root().toAbsolutePath());
        cmd.add("-Dai.djl.offline=true");
        props.forEach(p -> cmd.add("-D" + p));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new ChildJvm(p, log);
    }

    /** Runs to its end; its exit code. */
    public static int run(Path log, Class<?> main, String... args) throws IOException, InterruptedException {
        ChildJvm c = start(log, List.of(), main, args);
        if (!c.process.waitFor(300, TimeUnit.SECONDS)) {
            c.process.destroyForcibly();
            throw new IllegalStateException(main.getSimpleName() + " did not finish:\n" + c.output());
        }
        return c.process.exitValue();
    }

    public Process process() {
        return process;
    }

    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Waits until {@code file} exists (the child reached a point), failing with the child's output after a minute. */
    public void awaitFile(Path file) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(file)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the child ended (" + process.exitValue() + ") before " + file + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("no " + file + " after two minutes:\n" + output());
            }
            Thread.sleep(5);
        }
    }

    /** Kills the process for real, as the kernel or an operator would, and waits for it to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }
}
