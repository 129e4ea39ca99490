package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.cli.CommandLine;

/**
 * Options of the criteria job. Every option has a default, so no argument at all runs the embedded
 * default: opt-mini-trained under the shared folder, all seven tasks, 0/3/5 shots, 8 examples each,
 * every criterion.
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
        String output,
        String runId,
        String device,
        long seed,
        int maxMalformed,
        String master,
        int logEvery,
        int threads,
        int failAfterExamples,
        boolean force,
        int maxLineChars,
        boolean releaseLock)
        implements Serializable {

    public CriteriaJobOptions {
        tasks = List.copyOf(tasks);
        java.util.Objects.requireNonNull(split, "split");
        shots = List.copyOf(shots);
        criteria = Set.copyOf(criteria);
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
        CommandLine.requireRunId(runId);
        CommandLine.requireModelName(model);
        DeviceSpec.parse(device);
    }

    private static final int DEFAULT_CHUNK = 64;

    private static final String USAGE =
            """
            criteria job: per-example head and neuron importance over few-shot tasks, written to Parquet.
              --model DIR          OPT checkpoint directory (default: <shared>/models/opt-mini-trained)
              --data PATH          task folder, local, hdfs:// or s3a:// (default: <shared>/data/tasks)
              --tasks LIST         comma list of piqa,copa,openbookqa,winogrande,rte,hellaswag,arc_easy (default: all)
              --shots LIST         shot counts (default: 0,3,5)
              --examples N         examples per task and shot count, in file order (default: 8)
              --split S            where the examples come from: validation, or train (the split the
                                   shots come from, so the bench's validation accuracy stays unseen;
                                   PIQA and HellaSwag have no train split here and keep validation)
                                   (default: validation)
              --criteria LIST      l2norm,gradnorm,plainact,fisher,snip,nwot,grasp (default: all; grasp
                                   costs three more forward+backward passes per example)
              --batch-size N       examples per forward/backward pass (default: 4)
              --chunk N            at most N examples of a set per Spark task, a multiple of
                                   --batch-size; bounds an executor's memory, and the set's
                                   statistics merge across its chunks (default: the largest
                                   multiple of --batch-size up to 64)
              --output PATH        output root (default: out/criteria)
              --run-id ID          recorded with every row (default: run-<timestamp>)
              --device D           auto, cpu, gpu or gpu:N (default: auto; a task's Spark GPU wins under auto)
              --seed N             seed of the few-shot draws (default: 1234)
              --max-malformed N    fail when more input lines than this are malformed (default: 0)
              --master URL         Spark master when not set by spark-submit (default: local[*])
              --log-every N        log progress every N examples per set (default: 25)
              --threads N          PyTorch CPU threads per executor JVM; 0 = the executor's cores
                                   (spark.executor.cores, or N of local[N]) (default: 0)
              --force B            true: recompute every set; false: skip a set whose inputs (model
                                   fingerprint, task files, options, code) match the output's last
                                   run of it (default: false)
              --max-line-chars N   a task line longer than this is a malformed row (default: 262144)
              --release-lock B     true: release the output's lock even though its holder is not
                                   provably dead (a run on another host, or one killed while taking
                                   it); only once that run is known to be dead (default: false)
            The shared folder is -Dshadowllm.shared, else $SHADOWLLM_SHARED, else ../shared.""";

    /** Which split a task's scored examples are read from. */
    public enum ExampleSplit {
        VALIDATION,
        TRAIN;

        static ExampleSplit parse(String s) {
            return switch (s) {
                case "validation" -> VALIDATION;
                case "train" -> TRAIN;
                default -> throw new IllegalArgumentException("--split takes validation or train, got '" + s + "'");
            };
        }

        /** The split of {@code task} this choice reads. */
        public String of(FewShotTask task) {
            return this == TRAIN ? task.shotSplit() : task.evalSplit();
        }
    }

    public static CriteriaJobOptions parse(String[] args) {
        Map<String, String> m = CommandLine.parse(
                args,
                Set.of(
                        "model",
                        "data",
                        "tasks",
                        "shots",
                        "examples",
                        "split",
                        "criteria",
                        "batch-size",
                        "chunk",
                        "output",
                        "run-id",
                        "device",
                        "seed",
                        "max-malformed",
                        "master",
                        "log-every",
                        "threads",
                        "fail-after",
                        "force",
                        "max-line-chars",
                        "release-lock"),
                USAGE);
        return CommandLine.build(USAGE, () -> {
            int batch = Integer.parseInt(m.getOrDefault("batch-size", "4"));
            return new CriteriaJobOptions(
                    m.getOrDefault(
                            "model", SharedPaths.model("opt-mini-trained").toString()),
                    m.getOrDefault(
                            "data", SharedPaths.root().resolve("data/tasks").toString()),
                    CommandLine.list(m.get("tasks"), FewShotTask::parse, List.of(FewShotTask.values())),
                    CommandLine.list(m.get("shots"), Integer::parseInt, List.of(0, 3, 5)),
                    Integer.parseInt(m.getOrDefault("examples", "8")),
                    ExampleSplit.parse(m.getOrDefault("split", "validation")),
                    EnumSet.copyOf(CommandLine.list(
                            m.get("criteria"), ImportanceCriterion::parse, List.of(ImportanceCriterion.values()))),
                    batch,
                    m.containsKey("chunk")
                            ? Integer.parseInt(m.get("chunk"))
                            : Math.max(batch, DEFAULT_CHUNK / batch * batch),
                    m.getOrDefault("output", "out/criteria"),
                    m.getOrDefault("run-id", CommandLine.defaultRunId("run")),
                    m.getOrDefault("device", "auto"),
                    Long.parseLong(m.getOrDefault("seed", "1234")),
                    Integer.parseInt(m.getOrDefault("max-malformed", "0")),
                    m.getOrDefault("master", "local[*]"),
                    Integer.parseInt(m.getOrDefault("log-every", "25")),
                    Integer.parseInt(m.getOrDefault("threads", "0")),
                    Integer.parseInt(m.getOrDefault("fail-after", "0")),
                    CommandLine.bool("--force", m.getOrDefault("force", "false")),
                    Integer.parseInt(m.getOrDefault(
                            "max-line-chars",
                            Integer.toString(org.shadowllm.jobs.tasks.TaskReader.DEFAULT_MAX_LINE_CHARS))),
                    CommandLine.bool("--release-lock", m.getOrDefault("release-lock", "false")));
        });
    }
}
