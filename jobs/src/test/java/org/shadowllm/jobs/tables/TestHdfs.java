package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.shadowllm.common.SharedPaths;

/**
 * A real HDFS for the job tests (Hadoop's MiniDFSCluster: a NameNode and a DataNode in this JVM),
 * holding the shared tasks it is given under {@code /data/tasks} and WikiText-2's test split at
 * {@code /data/wikitext/test.txt}.
 */
public final class TestHdfs implements AutoCloseable {
    private final MiniDFSCluster dfs;
    private final FileSystem fs;

    private TestHdfs(MiniDFSCluster dfs) throws IOException {
        this.dfs = dfs;
        this.fs = dfs.getFileSystem();
    }

    /** Starts a cluster storing its blocks under {@code dir} and copies {@code tasks} and WikiText onto it. */
    public static TestHdfs start(Path dir, List<String> tasks) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
        MiniDFSCluster dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        TestHdfs h = new TestHdfs(dfs);
        Path data = SharedPaths.root().resolve("data");
        for (String task : tasks) {
            h.copy(data.resolve("tasks").resolve(task), "/data/tasks/" + task);
        }
        h.copy(data.resolve("wikitext-2-raw/test.txt"), "/data/wikitext/test.txt");
        return h;
    }

    private void copy(Path local, String remote) throws IOException {
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(remote));
    }

    /** {@code hdfs://host:port}. */
    public String uri() {
        return dfs.getURI().toString();
    }

    public FileSystem fs() {
        return fs;
    }

    @Override
    public void close() {
        dfs.shutdown();
    }
}
