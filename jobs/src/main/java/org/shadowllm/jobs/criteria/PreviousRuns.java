package org.shadowllm.jobs.criteria;

import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.shadowllm.jobs.tables.CriteriaManifest;
import org.shadowllm.jobs.tables.CriteriaTables;

/** What the committed runs of an output say about each set's inputs, read from their manifests. */
final class PreviousRuns {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PreviousRuns.class);

    private PreviousRuns() {}

    /** What the last committed run that covered a set says of it: its inputs' fingerprint, and the run whose rows stand. */
    record LastRun(String inputFingerprint, String runId) {
        LastRun {
            if (inputFingerprint == null || runId == null) {
                throw new IllegalArgumentException("a set's last run needs its input fingerprint and run id");
            }
        }
    }

    /**
     * Per set label of {@code modelName}, the input fingerprint of the last committed run that covered
     * it and the run whose rows stand. Manifests without fingerprints (older runs), or in an older format,
     * count as unknown inputs.
     */
    static Map<String, LastRun> lastInputs(Configuration hadoop, String output, String modelName) {
        Map<String, LastRun> out = new HashMap<>();
        Map<String, String> when = new HashMap<>();
        // a manifest of an older format says nothing this run can trust: its sets are recomputed
        for (CriteriaManifest m : CriteriaManifest.readAll(
                hadoop,
                output.replaceAll("/+$", "") + "/" + CriteriaTables.MANIFESTS,
                problem -> LOG.warn("{}; its sets count as changed", problem))) {
            if (!new Path(m.inputs().model()).getName().equals(modelName)) {
                continue;
            }
            for (CriteriaManifest.SetEntry s : m.sets()) {
                String previous = when.get(s.set());
                if (previous != null && previous.compareTo(m.finishedAt()) >= 0) {
                    continue;
                }
                when.put(s.set(), m.finishedAt());
                if (s.inputFingerprint() == null) {
                    out.remove(s.set());
                } else {
                    String stands = s.keptFromRun() != null ? s.keptFromRun() : m.runId();
                    out.put(s.set(), new LastRun(s.inputFingerprint(), stands));
                }
            }
        }
        return out;
    }
}
