package org.shadowllm.jobs.tables;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.shadowllm.common.model.DecoderConfig;

/**
 * {@code manifests/<run_id>.json}: what a criteria run read, with which options, and what it wrote per
 * set. Written last, after both tables; JSON field names are the components' in snake case.
 */
public record CriteriaManifest(
        String runId,
        String codeVersion,
        String finishedAt,
        double seconds,
        Inputs inputs,
        Options options,
        List<SetEntry> sets,
        List<String> malformed) {
    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .create();

    public CriteriaManifest {
        if (runId == null || runId.isBlank() || inputs == null || options == null || sets == null) {
            throw new IllegalArgumentException("a criteria manifest needs a run id, inputs, options and sets");
        }
        sets = List.copyOf(sets);
        malformed = malformed == null ? List.of() : List.copyOf(malformed);
    }

    /** The model (its directory, its fingerprint and its config, field by field), the task folder, and each split's record count. */
    public record Inputs(
            String model,
            String modelFingerprint,
            DecoderConfig modelConfig,
            String data,
            Map<String, Integer> splitRecords) {}

    public record Options(
            List<String> tasks,
            List<Integer> shots,
            int examplesPerSet,
            String split,
            List<String> criteria,
            int batchSize,
            int chunk,
            String device,
            long seed,
            String master) {}

    /**
     * One task × shot set: its examples, how many lost context to truncation, its time, the
     * fingerprint of everything its rows depend on, and, for a set this run skipped because that
     * fingerprint matched, the run whose rows stand ({@code null} when this run computed it).
     */
    public record SetEntry(
            String set,
            int examples,
            long truncatedExamples,
            double seconds,
            String inputFingerprint,
            String keptFromRun) {
        /** A set this run scored. */
        public static SetEntry computed(
                String set, int examples, long truncatedExamples, double seconds, String inputFingerprint) {
            return new SetEntry(set, examples, truncatedExamples, seconds, inputFingerprint, null);
        }

        /** A set this run skipped: its inputs are those of run {@code keptFromRun}, whose rows stand. */
        public static SetEntry kept(String set, String inputFingerprint, String keptFromRun) {
            return new SetEntry(set, 0, 0, 0, inputFingerprint, keptFromRun);
        }
    }

    public String toJson() {
        return GSON.toJson(this);
    }

    public static CriteriaManifest fromJson(String json, String where) {
        try {
            CriteriaManifest m = GSON.fromJson(json, CriteriaManifest.class);
            if (m == null) {
                throw new JsonParseException("empty");
            }
            return m;
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed criteria manifest " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every manifest in {@code dir} (local, {@code hdfs://}, ...); one that does not parse (an older
     * format) is left out and reported to {@code skipped}. An absent folder holds none.
     */
    public static List<CriteriaManifest> readAll(Configuration hadoop, String dir, Consumer<String> skipped) {
        Path path = new Path(dir);
        List<CriteriaManifest> out = new ArrayList<>();
        try {
            FileSystem fs = path.getFileSystem(hadoop);
            if (!fs.exists(path)) {
                return out;
            }
            for (FileStatus f : fs.listStatus(path, p -> p.getName().endsWith(".json"))) {
                try (var in = fs.open(f.getPath())) {
                    out.add(fromJson(
                            new String(in.readAllBytes(), StandardCharsets.UTF_8),
                            f.getPath().toString()));
                } catch (IllegalArgumentException e) {
                    skipped.accept(e.getMessage());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifests in " + dir, e);
        }
    }
}
