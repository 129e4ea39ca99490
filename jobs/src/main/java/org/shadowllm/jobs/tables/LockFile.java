package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/** A lock file, created exclusively on the file system it lives on. */
abstract class LockFile {
    abstract String path();

    /** Creates the file and writes {@code content}; false when it exists. */
    abstract boolean createWith(byte[] content) throws IOException;

    /** The file's bytes, or null when there is none. */
    abstract byte[] read() throws IOException;

    abstract void delete() throws IOException;

    /** Deletes the file if it still holds {@code content}. */
    boolean deleteIfEquals(byte[] content) throws IOException {
        byte[] now = read();
        if (now == null || !Arrays.equals(now, content)) {
            return false;
        }
        delete();
        return true;
    }

    static LockFile of(FileSystem fs, Path path) {
        if (fs instanceof LocalFileSystem local) {
            return new Local(local.pathToFile(path).toPath());
        }
        if (fs instanceof RawLocalFileSystem raw) {
            return new Local(raw.pathToFile(path).toPath());
        }
        return new Hadoop(fs, path);
    }

    /** {@code CREATE_NEW}: the local Hadoop file system checks, then opens a truncating stream. */
    private static final class Local extends LockFile {
        private final java.nio.file.Path file;

        Local(java.nio.file.Path file) {
            this.file = file;
        }

        @Override
        String path() {
            return file.toString();
        }

        @Override
        boolean createWith(byte[] content) throws IOException {
            try (OutputStream out =
                    Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputLock.afterCreate.run();
                out.write(content);
            } catch (FileAlreadyExistsException e) {
                return false;
            }
            return true;
        }

        @Override
        byte[] read() throws IOException {
            try {
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        @Override
        void delete() throws IOException {
            Files.deleteIfExists(file);
        }
    }

    /** HDFS's create with overwrite false is exclusive on the name node. */
    private static final class Hadoop extends LockFile {
        private final FileSystem fs;
        private final Path file;

        Hadoop(FileSystem fs, Path file) {
            this.fs = fs;
            this.file = file;
        }

        @Override
        String path() {
            return file.toString();
        }

        @Override
        boolean createWith(byte[] content) throws IOException {
            FSDataOutputStream created;
            try {
                created = fs.create(file, false);
            } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
                return false;
            } catch (IOException e) {
                // HDFS may name a file still open by its writer otherwise (AlreadyBeingCreatedException)
                if (fs.exists(file)) {
                    return false;
                }
                throw e;
            }
            try (FSDataOutputStream out = created) {
                OutputLock.afterCreate.run();
                out.write(content);
            }
            return true;
        }

        @Override
        byte[] read() throws IOException {
            try (InputStream in = fs.open(file)) {
                return in.readAllBytes();
            } catch (java.io.FileNotFoundException e) {
                return null;
            }
        }

        @Override
        void delete() throws IOException {
            fs.delete(file, false);
        }
    }
}
