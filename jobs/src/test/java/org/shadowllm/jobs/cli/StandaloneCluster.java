package org.shadowllm.jobs.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on this machine: a Master and N Workers, each its own JVM, started from
 * the Maven Spark jars (laid out as a distribution's {@code jars/} folder). Workers launch executors
 * in JVMs of their own, and jobs are submitted through {@code SparkSubmit} with the shaded jobs jar,
 * as {@code spark-submit} does.
 */
public final class StandaloneCluster implements AutoCloseable {

    /**
     * What the cluster needs from the build: the shaded jar, Spark's classpath, the JVM flags, and the
     * project root (for {@code conf/}).
     */
    public record Build(Path sparkJar, List<Path> sparkClasspath, List<String> jvmFlags, Path projectRoot) {
        public Build {
            if (!Files.isRegularFile(sparkJar)) {
                throw new IllegalArgumentException(
                        "no shaded jobs jar at " + sparkJar + "; build it with mvn -B -DskipTests package");
            }
            sparkClasspath = List.copyOf(sparkClasspath);
            jvmFlags = List.copyOf(jvmFlags);
        }

        /** From the system properties the build's cluster-test execution sets, else this module's target/. */
        public static Build fromSystemProperties() {
            Path module = Files.isDirectory(Path.of("src"))
                            && Path.of("pom.xml").toFile().exists()
                    ? Path.of("").toAbsolutePath()
                    : Path.of("jobs").toAbsolutePath();
            Path jar = Path.of(System.getProperty(
                    "shadowllm.sparkJar",
                    module.resolve("target/jobs-0.1.0-SNAPSHOT-spark.jar").toString()));
            Path cpFile = Path.of(System.getProperty(
                    "shadowllm.sparkClasspath",
                    module.resolve("target/spark-distribution.classpath").toString()));
            try {
                List<Path> cp = Arrays.stream(Files.readString(cpFile).trim().split(File.pathSeparator))
                        .filter(s -> !s.isBlank())
                        .map(Path::of)
                        .toList();
                String flags = System.getProperty(
                        "shadowllm.jvmFlags",
                        "--add-modules jdk.incubator.vector --add-opens=java.base/java.lang=ALL-UNNAMED "
                                + "--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED "
                                + "--add-opens=java.base/java.util=ALL-UNNAMED");
                List<String> jvm = new ArrayList<>();
                String[] parts = flags.trim().split("\\s+");
                for (int i = 0; i < parts.length; i++) {
                    // "--add-modules X" is two words; the JVM takes "--add-modules=X" as one
                    if (parts[i].equals("--add-modules") && i + 1 < parts.length) {
                        jvm.add("--add-modules=" + parts[++i]);
                    } else if (!parts[i].isBlank()) {
                        jvm.add(parts[i]);
                    }
                }
                return new Build(jar, cp, jvm, module.getParent());
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "no Spark classpath at " + cpFile + "; run mvn -B -DskipTests package (its "
                                + "generate-test-resources phase writes it)",
                        e);
            }
        }
    }

    private final Build build;
    private final Path dir;
    private final Path home;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();
    private final List<Path> workDirs = new ArrayList<>();
    private final String url;

    private StandaloneCluster(Build build, Path dir, int workers, int cores, String memory) throws IOException {
        this.build = build;
        this.dir = dir;
        this.home = distribution(build, dir.resolve("spark-home"));
        int port = freePort();
        url = "spark://127.0.0.1:" + port;
        master = launch(
                List.of(
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--webui-port",
                        "0"),
                "512m",
                dir.resolve("master.log"));
        await("the master to listen on " + port, 60, () -> listening(port));
        for (int i = 0; i < workers; i++) {
            Path work = Files.createDirectories(dir.resolve("worker-" + i));
            workDirs.add(work);
            this.workers.add(launch(
                    List.of(
                            "org.apache.spark.deploy.worker.Worker",
                            "--host",
                            "127.0.0.1",
                            "--webui-port",
                            "0",
                            "--cores",
                            Integer.toString(cores),
                            "--memory",
                            memory,
                            "--work-dir",
                            work.toString(),
                            url),
                    "512m",
                    dir.resolve("worker-" + i + ".log")));
        }
        await(
                workers + " workers to register",
                90,
                () -> count(dir.resolve("master.log"), "Registering worker") >= workers);
    }

    /** Starts a master and {@code workers} workers of {@code cores} cores and {@code memory} each. */
    public static StandaloneCluster start(Build build, Path dir, int workers, int cores, String memory) {
        try {
            return new StandaloneCluster(build, dir, workers, cores, memory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the standalone cluster in " + dir, e);
        }
    }

    /** The master URL, {@code spark://127.0.0.1:<port>}. */
    public String url() {
        return url;
    }

    /** The workers' folders, where each executor of an application gets {@code app-*\/<id>/}. */
    public List<Path> workDirs() {
        return List.copyOf(workDirs);
    }

    /** The submit command for {@code mainClass} of the shaded jar, with {@code conf} as extra --conf pairs. */
    public List<String> submitCommand(String mainClass, Map<String, String> conf, List<String> args) {
        List<String> cmd = java("1g");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dlog4j2.configurationFile=" + build.projectRoot().resolve("conf/log4j2.properties"));
        cmd.addAll(List.of(
                "org.apache.spark.deploy.SparkSubmit",
                "--master",
                url,
                "--deploy-mode",
                "client",
                "--properties-file",
                build.projectRoot().resolve("conf/spark-defaults.conf").toString()));
        conf.forEach((k, v) -> {
            cmd.add("--conf");
            cmd.add(k + "=" + v);
        });
        cmd.add("--class");
        cmd.add(mainClass);
        cmd.add(build.sparkJar().toString());
        cmd.addAll(args);
        return cmd;
    }

    /** Submits and returns the running driver; its output goes to {@code log}. */
    public Process submit(String mainClass, Map<String, String> conf, List<String> args, Path log) {
        return start(submitCommand(mainClass, conf, args), log);
    }

    /** Submits, waits at most {@code timeoutSeconds}, and returns the exit code (its log on failure). */
    public int run(String mainClass, Map<String, String> conf, List<String> args, Path log, long timeoutSeconds) {
        Process p = submit(mainClass, conf, args, log);
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                kill(p);
                throw new IllegalStateException(
                        mainClass + " ran past " + timeoutSeconds + " s on the cluster; log:\n" + tail(log));
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(p);
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The executor JVMs running now (children of the workers), with their command lines. */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.descendants()
                    .filter(h -> h.info()
                            .commandLine()
                            .map(c -> c.contains("CoarseGrainedExecutorBackend"))
                            .orElse(false))
                    .forEach(out::add);
        }
        return out;
    }

    /** The executors' stderr files of every application so far. */
    public List<Path> executorLogs() {
        List<Path> out = new ArrayList<>();
        for (Path w : workDirs) {
            try (Stream<Path> s = Files.walk(w, 3)) {
                s.filter(p -> p.getFileName().toString().equals("stderr")).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private List<String> java(String heap) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.addAll(build.jvmFlags());
        cmd.add("-cp");
        cmd.add(home.resolve("jars") + File.separator + "*");
        return cmd;
    }

    private Process launch(List<String> mainAndArgs, String heap, Path log) {
        List<String> cmd = java(heap);
        cmd.addAll(mainAndArgs);
        return start(cmd, log);
    }

    private Process start(List<String> cmd, Path log) {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(build.projectRoot().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("OPT_OUT_TRACKING", "true");
        env.put("DJL_OFFLINE", "true");
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd.get(0), e);
        }
    }

    /** A distribution's layout: {@code <home>/jars/} holding (links to) Spark's jars. */
    private static Path distribution(Build build, Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        Set<String> names = new HashSet<>();
        for (Path jar : build.sparkClasspath()) {
            String name = jar.getFileName().toString();
            if (!names.add(name)) {
                name = names.size() + "-" + name;
                names.add(name);
            }
            Files.createSymbolicLink(jars.resolve(name), jar.toAbsolutePath());
        }
        return home;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** How many lines of {@code log} contain {@code text}. */
    public static long count(Path log, String text) {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(text)).count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last lines of {@code log}. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private void await(String what, int seconds, BooleanSupplier done) {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!done.getAsBoolean()) {
            if (!master.isAlive()) {
                throw new IllegalStateException("the master died; log:\n" + tail(dir.resolve("master.log")));
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what
                        + "; master log:\n" + tail(dir.resolve("master.log")));
            }
            sleep(200);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (Process w : workers) {
            kill(w);
        }
        kill(master);
    }

    /** The first executor's stderr that contains {@code text}, if any. */
    public Optional<Path> executorLogWith(String text) {
        return executorLogs().stream().filter(p -> count(p, text) > 0).findFirst();
    }
}
