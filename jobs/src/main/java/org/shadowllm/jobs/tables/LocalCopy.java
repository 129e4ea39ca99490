package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * A local folder standing for a folder on any Hadoop file system, for code that reads and writes
 * {@code java.nio} paths (predictor artifacts, reports). On a local file system it is the folder itself;
 * elsewhere (hdfs://, s3a://) it is a temporary copy, removed on {@link #close()}.
 */
public final class LocalCopy implements AutoCloseable {
    private final Path path;
    private final Path temporary;

    private LocalCopy(Path path, Path temporary) {
        this.path = path;
        this.temporary = temporary;
    }

    /** The local folder. */
    public Path path() {
        return path;
    }

    /** {@code dir} read from its file system: the folder itself where it is local, else a fresh copy. */
    public static LocalCopy of(Configuration conf, String dir) {
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(dir);
        try {
            FileSystem fs = src.getFileSystem(conf);
            if ("file".equals(fs.getScheme())) {
                return new LocalCopy(Path.of(fs.makeQualified(src).toUri()), null);
            }
            Path tmp = Files.createTempDirectory("shadowllm-copy");
            Path local = tmp.resolve(src.getName().isEmpty() ? "root" : src.getName());
            if (fs.exists(src)) {
                fs.copyToLocalFile(false, src, new org.apache.hadoop.fs.Path(local.toUri()), true);
            }
            return new LocalCopy(local, tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
    }

    /** A Hadoop configuration's settings, to ship to executors (a {@link Configuration} is not serializable). */
    public static java.util.Map<String, String> settings(Configuration conf) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        conf.forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    /** The configuration {@link #settings} shipped. */
    public static Configuration configuration(java.util.Map<String, String> settings) {
        Configuration conf = new Configuration(false);
        settings.forEach(conf::set);
        return conf;
    }

    /** Writes {@code dest} through {@code writer}: in place where it is local, else locally and then copied. */
    public static void write(Configuration conf, String dest, IoWriter writer) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dest);
        try {
            FileSystem fs = target.getFileSystem(conf);
            if ("file".equals(fs.getScheme())) {
                writer.write(Path.of(fs.makeQualified(target).toUri()));
                return;
            }
            Path tmp = Files.createTempDirectory("shadowllm-out");
            try {
                Path local = tmp.resolve(target.getName());
                writer.write(local);
                fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), target);
            } finally {
                delete(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dest, e);
        }
    }

    /** Writes a local file or folder at the path it is given. */
    @FunctionalInterface
    public interface IoWriter {
        void write(Path local) throws IOException;
    }

    @Override
    public void close() {
        if (temporary != null) {
            try {
                delete(temporary);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the local copy " + temporary, e);
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
