package org.shadowllm.jobs.train;

import java.util.List;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.jobs.cli.JobCommandLine;
import org.shadowllm.jobs.cli.JobRun;
import org.shadowllm.trainer.train.TrainingOptions;

/**
 * Options of the trainer job, validated ({@link TrainerJobArgs} declares the command line). With no arguments it
 * trains ShadowLLM (split design) and DejaVu-style predictors for the one model in {@code out/criteria} on
 * {@code plainact}, over every task and shot count there.
 *
 * @param model   the {@code model} partition to read; null takes the only model in the table
 * @param tasks   task keys to read; empty reads all
 * @param shots   shot counts to read; empty reads all
 */
public record TrainerJobOptions(
        String input,
        String model,
        ImportanceCriterion criterion,
        FeaturePosition features,
        List<String> tasks,
        List<Integer> shots,
        List<PredictorKind> predictors,
        TrainingOptions training,
        double heldOut,
        long splitSeed,
        JobRun run)
        implements JobRun.Holder {

    public TrainerJobOptions {
        java.util.Objects.requireNonNull(criterion, "criterion");
        java.util.Objects.requireNonNull(features, "features");
        java.util.Objects.requireNonNull(run, "run");
        tasks = List.copyOf(tasks);
        shots = List.copyOf(shots);
        predictors = List.copyOf(predictors);
        if (predictors.isEmpty()) {
            throw new IllegalArgumentException("--predictors must not be empty");
        }
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new IllegalArgumentException("--held-out must be in (0, 1), got " + heldOut);
        }
    }

    /**
     * The options of a command line.
     *
     * @throws org.shadowllm.jobs.cli.HelpRequested for {@code --help}
     * @throws org.shadowllm.jobs.cli.UsageException for options it cannot run with, naming why
     */
    public static TrainerJobOptions parse(String[] args) {
        return JobCommandLine.parse(new TrainerJobArgs(), args, TrainerJobArgs::options);
    }
}
