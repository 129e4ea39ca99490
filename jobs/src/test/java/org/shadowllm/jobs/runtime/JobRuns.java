package org.shadowllm.jobs.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.function.Executable;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.criteria.CriteriaJobOptions;
import org.shadowllm.jobs.tables.StagedCommit;

/** What the job tests share: a criteria table on tiny-random-opt, argument lists, injected kills. */
public final class JobRuns {
    private JobRuns() {}

    /** The criteria job on tiny-random-opt into {@code output}, with {@code args} (tasks, shots, ...). */
    public static CriteriaJob.Summary tinyCriteria(SparkSession spark, String output, String... args) {
        String[] base = {"--model", SharedPaths.model("tiny-random-opt").toString(), "--output", output};
        return criteria(spark, concat(base, args));
    }

    /** The criteria job with {@code args} as its command line (for tests of the jobs that read its tables). */
    public static CriteriaJob.Summary criteria(SparkSession spark, String... args) {
        return new CriteriaJob(spark, CriteriaJobOptions.parse(args)).run();
    }

    public static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    /** Runs {@code run}, which must die at commit point {@code point} (as a killed process would). */
    public static void killedAt(String point, Executable run) {
        StagedCommit.faults = p -> {
            if (p.equals(point)) {
                throw new IOException("killed at " + p);
            }
        };
        try {
            assertThrows(UncheckedIOException.class, run);
        } finally {
            StagedCommit.faults = p -> {};
        }
    }
}
