package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.List;
import java.util.Set;
import org.shadowllm.common.Keyed;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.cli.JobCommandLine;
import org.shadowllm.jobs.cli.JobNames;
import org.shadowllm.jobs.cli.JobRun;

/**
 * Options of the criteria job, validated. Every option has a default, so no argument at all runs the
 * embedded default: opt-mini-trained under the shared folder, all seven tasks, 0/3/5 shots, 8 examples each,
 * every criterion. {@link CriteriaJobArgs} declares the command line.
 *
 * @param chunk at most this many examples of a set per Spark task; a multiple of {@code batchSize}
 * @param failAfterExamples test aid: fail each set's task after this many examples (0 = never)
 * @param force recompute every set, even those whose inputs match the output's last run of them
 */
public record CriteriaJobOptions(
        String model,
        String data,
        List<FewShotTask> tasks,
        List<Integer> shots,
        int examplesPerSet,
        ExampleSplit split,
        Set<ImportanceCriterion> criteria,
        int batchSize,
        int chunk,
        long seed,
        int maxMalformed,
        int logEvery,
        int threads,
        int failAfterExamples,
        boolean force,
        int maxLineChars,
        JobRun run)
        implements Serializable, JobRun.Holder {

    public CriteriaJobOptions {
        java.util.Objects.requireNonNull(run, "run");
        tasks = List.copyOf(tasks);
        java.util.Objects.requireNonNull(split, "split");
        shots = List.copyOf(shots);
        // in the enum's order, so logs and fingerprints name them alike from run to run
        criteria = criteria.isEmpty()
                ? Set.of()
                : java.util.Collections.unmodifiableSet(java.util.EnumSet.copyOf(criteria));
        if (tasks.isEmpty() || shots.isEmpty() || criteria.isEmpty()) {
            throw new IllegalArgumentException("--tasks, --shots and --criteria must not be empty");
        }
        for (int k : shots) {
            if (k < 0 || k > 32) {
                throw new IllegalArgumentException("--shots values must be in 0..32, got " + k);
            }
        }
        if (examplesPerSet < 1
                || batchSize < 1
                || logEvery < 1
                || maxMalformed < 0
                || failAfterExamples < 0
                || threads < 0) {
            throw new IllegalArgumentException("--examples, --batch-size and --log-every must be ≥ 1; "
                    + "--max-malformed, --threads and --fail-after ≥ 0");
        }
        if (chunk < 1 || chunk % batchSize != 0) {
            throw new IllegalArgumentException(
                    "--chunk must be a positive multiple of --batch-size " + batchSize + ", got " + chunk);
        }
        if (maxLineChars < 1) {
            throw new IllegalArgumentException("--max-line-chars must be ≥ 1, got " + maxLineChars);
        }
        JobNames.requireModelName(model);
    }

    /** Which split a task's scored examples are read from. */
    public enum ExampleSplit implements Keyed {
        VALIDATION,
        TRAIN;

        @Override
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The split of {@code task} this choice reads. */
        public String of(FewShotTask task) {
            return this == TRAIN ? task.shotSplit() : task.evalSplit();
        }
    }

    /**
     * The options of a command line.
     *
     * @throws org.shadowllm.jobs.cli.HelpRequested for {@code --help}
     * @throws org.shadowllm.jobs.cli.UsageException for options it cannot run with, naming why
     */
    public static CriteriaJobOptions parse(String[] args) {
        return JobCommandLine.parse(new CriteriaJobArgs(), args, CriteriaJobArgs::options);
    }
}
