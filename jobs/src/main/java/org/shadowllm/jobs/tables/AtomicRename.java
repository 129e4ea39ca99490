package org.shadowllm.jobs.tables;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The staged commit swaps directories by rename, so an output must live on a file system whose rename
 * of a directory is one atomic step: local disk and HDFS. On an object store ({@code s3a}, {@code gs},
 * ...) a rename is a copy and a delete, file by file, and a kill in the middle leaves a partition half
 * new. Decided by the file system's exact class, so a subclass of the local one (or anything unknown) is
 * not trusted unless it declares the guarantee by implementing {@link Declared}.
 */
public final class AtomicRename {
    /** A file system (a test one, say) that promises atomic renames of files and directories. */
    public interface Declared {}

    private AtomicRename() {}

    public static boolean supported(FileSystem fs) {
        Class<?> c = fs.getClass();
        return c == LocalFileSystem.class
                || c == RawLocalFileSystem.class
                || c.getName().equals("org.apache.hadoop.hdfs.DistributedFileSystem")
                || fs instanceof Declared;
    }

    /** Throws, naming the scheme and what to do instead, unless {@code output}'s file system renames atomically. */
    public static void require(FileSystem fs, Path output) {
        if (!supported(fs)) {
            throw new IllegalArgumentException("--output " + output + " is on '" + fs.getScheme() + "' ("
                    + fs.getClass().getSimpleName() + "), whose rename is not atomic: the jobs commit by renaming "
                    + "directories and refuse it. Write to HDFS or local disk and copy the committed result "
                    + "(hadoop distcp); --data may stay on " + fs.getScheme() + ".");
        }
    }
}
