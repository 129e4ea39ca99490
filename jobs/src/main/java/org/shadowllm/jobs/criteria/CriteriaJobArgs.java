package org.shadowllm.jobs.criteria;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.cli.JobRunOptions;
import org.shadowllm.jobs.tasks.TaskReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The criteria job's command line: each option once, with its default and its help. */
@Command(
        name = "criteria",
        sortOptions = false,
        abbreviateSynopsis = true,
        description = "criteria job: per-example head and neuron importance over few-shot tasks, written to Parquet.",
        footer = {
            "Under --device auto, the GPU Spark assigns a task wins.",
            "The shared folder is -Dshadowllm.shared, else $SHADOWLLM_SHARED, else ../shared."
        })
public final class CriteriaJobArgs {
    /** What {@code --chunk} defaults to: the largest multiple of {@code --batch-size} up to this. */
    static final int DEFAULT_CHUNK = 64;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "OPT or Llama checkpoint directory (default: ${DEFAULT-VALUE})")
    String model = SharedPaths.model("opt-mini-trained").toString();

    @Option(
            names = "--data",
            paramLabel = "PATH",
            description = "task folder, local, hdfs:// or s3a:// (default: ${DEFAULT-VALUE})")
    String data = SharedPaths.root().resolve("data/tasks").toString();

    @Option(
            names = "--tasks",
            paramLabel = "LIST",
            split = ",",
            description = "comma list of piqa,copa,openbookqa,winogrande,rte,hellaswag,arc_easy (default: all)")
    List<FewShotTask> tasks = new ArrayList<>(List.of(FewShotTask.values()));

    @Option(
            names = "--shots",
            paramLabel = "LIST",
            split = ",",
            defaultValue = "0,3,5",
            description = "shot counts (default: ${DEFAULT-VALUE})")
    List<Integer> shots;

    @Option(
            names = "--examples",
            paramLabel = "N",
            defaultValue = "8",
            description = "examples per task and shot count, in file order (default: ${DEFAULT-VALUE})")
    int examples;

    @Option(
            names = "--split",
            paramLabel = "S",
            defaultValue = "validation",
            description = "where the examples come from: validation, or train (the split the shots come from, so "
                    + "the bench's validation accuracy stays unseen; PIQA and HellaSwag have no train split here "
                    + "and keep validation) (default: ${DEFAULT-VALUE})")
    CriteriaJobOptions.ExampleSplit split;

    @Option(
            names = "--criteria",
            paramLabel = "LIST",
            split = ",",
            description = "l2norm,gradnorm,plainact,fisher,snip,nwot,grasp (default: all; grasp costs three more "
                    + "forward+backward passes per example)")
    List<ImportanceCriterion> criteria = new ArrayList<>(List.of(ImportanceCriterion.values()));

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            defaultValue = "4",
            description = "examples per forward/backward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(
            names = "--chunk",
            paramLabel = "N",
            description = "at most N examples of a set per Spark task, a multiple of --batch-size; bounds an "
                    + "executor's memory, and the set's statistics merge across its chunks (default: the largest "
                    + "multiple of --batch-size up to " + DEFAULT_CHUNK + ")")
    Integer chunk;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "1234",
            description = "seed of the few-shot draws (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--max-malformed",
            paramLabel = "N",
            defaultValue = "0",
            description = "fail when more input lines than this are malformed (default: ${DEFAULT-VALUE})")
    int maxMalformed;

    @Option(
            names = "--log-every",
            paramLabel = "N",
            defaultValue = "25",
            description = "log progress every N examples per set (default: ${DEFAULT-VALUE})")
    int logEvery;

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "0",
            description = "PyTorch CPU threads per executor JVM; 0 = the executor's cores (spark.executor.cores, "
                    + "or N of local[N]) (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(
            names = "--force",
            arity = "1",
            paramLabel = "true|false",
            defaultValue = "false",
            description = "true: recompute every set; false: skip a set whose inputs (model fingerprint, task "
                    + "files, options, code) match the output's last run of it (default: ${DEFAULT-VALUE})")
    boolean force;

    @Option(
            names = "--max-line-chars",
            paramLabel = "N",
            defaultValue = "" + TaskReader.DEFAULT_MAX_LINE_CHARS,
            description = "a task line longer than this is a malformed row (default: ${DEFAULT-VALUE})")
    int maxLineChars;

    // a test aid (a set that fails part-way), so not in the help
    @Option(names = "--fail-after", paramLabel = "N", defaultValue = "0", hidden = true)
    int failAfter;

    @Mixin
    JobRunOptions run = new JobRunOptions("out/criteria", "run");

    /** The options these values make; an {@link IllegalArgumentException} says which value is refused. */
    CriteriaJobOptions options() {
        Set<ImportanceCriterion> chosen = EnumSet.noneOf(ImportanceCriterion.class);
        chosen.addAll(criteria);
        return new CriteriaJobOptions(
                model,
                data,
                tasks,
                shots,
                examples,
                split,
                chosen,
                batchSize,
                chunk != null ? chunk : defaultChunk(batchSize),
                seed,
                maxMalformed,
                logEvery,
                threads,
                failAfter,
                force,
                maxLineChars,
                run.run());
    }

    private static int defaultChunk(int batchSize) {
        // a batch size below 1 is refused by the options, naming it
        return batchSize < 1 ? DEFAULT_CHUNK : Math.max(batchSize, DEFAULT_CHUNK / batchSize * batchSize);
    }
}
