package org.shadowllm.jobs.criteria;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.tables.CriteriaManifest;
import org.shadowllm.jobs.tables.CriteriaTables;

/** The parts of a criteria run's manifest that come from the job, and its writing into the run's staging folder. */
final class RunManifest {
    private RunManifest() {}

    /** The options that shaped the run, as the manifest records them. */
    static CriteriaManifest.Options options(CriteriaJobOptions options, String master) {
        return new CriteriaManifest.Options(
                options.tasks().stream().map(FewShotTask::key).toList(),
                List.copyOf(options.shots()),
                options.examplesPerSet(),
                options.split().name().toLowerCase(Locale.ROOT),
                options.criteria().stream()
                        .sorted()
                        .map(ImportanceCriterion::key)
                        .toList(),
                options.batchSize(),
                options.chunk(),
                options.device(),
                options.seed(),
                master);
    }

    /** One entry per set: those this run scored (in plan order, with their time and inputs), then those it kept. */
    static List<CriteriaManifest.SetEntry> sets(
            List<WorkSet> scored,
            Map<String, Double> setSeconds,
            Map<String, String> inputFingerprints,
            List<CriteriaManifest.SetEntry> kept) {
        List<CriteriaManifest.SetEntry> perSet = new ArrayList<>();
        for (WorkSet set : scored) {
            perSet.add(CriteriaManifest.SetEntry.computed(
                    set.label(),
                    set.items().size(),
                    set.items().stream().filter(w -> w.truncatedTokens() > 0).count(),
                    setSeconds.getOrDefault(set.label(), 0.0),
                    inputFingerprints.get(set.label())));
        }
        perSet.addAll(kept);
        return perSet;
    }

    /** Writes {@code manifests/<run id>.json} under {@code staging}: a temporary file, then a rename. */
    static void write(Configuration hadoop, String staging, CriteriaManifest m) {
        Path dir = new Path(staging + "/" + CriteriaTables.MANIFESTS);
        Path file = new Path(dir, m.runId() + ".json");
        Path tmp = new Path(dir, "." + m.runId() + ".json.tmp");
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            fs.mkdirs(dir);
            try (FSDataOutputStream out = fs.create(tmp, true)) {
                out.write(m.toJson().getBytes(StandardCharsets.UTF_8));
            }
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) {
                throw new IOException("rename of " + tmp + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest " + file, e);
        }
    }
}
