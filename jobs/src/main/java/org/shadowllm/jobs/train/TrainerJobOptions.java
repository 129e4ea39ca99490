package org.shadowllm.jobs.train;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.jobs.cli.CommandLine;
import org.shadowllm.trainer.train.TrainingOptions;

/**
 * Options of the trainer job. With no arguments it trains ShadowLLM (split design) and DejaVu-style predictors for
 * the one model in {@code out/criteria} on {@code plainact}, over every task and shot count there.
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
        String output,
        String runId,
        String device,
        String master,
        boolean releaseLock) {

    public TrainerJobOptions {
        java.util.Objects.requireNonNull(features, "features");
        tasks = List.copyOf(tasks);
        shots = List.copyOf(shots);
        predictors = List.copyOf(predictors);
        if (predictors.isEmpty()) {
            throw new IllegalArgumentException("--predictors must not be empty");
        }
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new IllegalArgumentException("--held-out must be in (0, 1), got " + heldOut);
        }
        CommandLine.requireRunId(runId);
        DeviceSpec.parse(device);
    }

    private static final String USAGE =
            """
            trainer job: fits importance predictors from the criteria job's criteria_examples table.
              --input PATH         criteria job output root (default: out/criteria)
              --model NAME         model partition to train for (default: the only one in the table)
              --criterion C        l2norm,gradnorm,plainact,fisher,snip,nwot,grasp (default: plainact)
              --features P         token the features are taken at: plan (the last context token, where
                                   the bench makes its plan) or last (the last input token, a gold
                                   continuation token) (default: plan)
              --tasks LIST         tasks to read (default: all in the table)
              --shots LIST         shot counts to read (default: all in the table)
              --predictors LIST    shadowllm,shadowllm-split,dejavu,dejavu-inflated (default: shadowllm-split,dejavu)
              --epochs N           (default: 100)      --batch-size N   (default: 32)
              --lr X               AdamW learning rate, cosine-annealed to 0 (default: 1e-3)
              --weight-decay X     (default: 0.01)     --hidden N       hidden width; 0 = the kind's own (default: 0)
              --held-out X         fraction of examples held out (default: 0.1)
              --seed N             seed of the split, initialization and shuffling (default: 1234)
              --output PATH        output root: predictors/ and predictor_metrics/ (default: out/trainer)
              --run-id ID          recorded with every row (default: train-<timestamp>)
              --device D           auto, cpu, gpu or gpu:N (default: auto)
              --master URL         Spark master when not set by spark-submit (default: local[*])
              --log-every N        log every N epochs (default: 10)
              --release-lock B     true: release the output's lock although its holder is not provably
                                   dead; only once that run is known to be dead (default: false)""";

    public static TrainerJobOptions parse(String[] args) {
        Map<String, String> m = CommandLine.parse(
                args,
                Set.of(
                        "input",
                        "model",
                        "criterion",
                        "features",
                        "tasks",
                        "shots",
                        "predictors",
                        "epochs",
                        "batch-size",
                        "lr",
                        "weight-decay",
                        "hidden",
                        "held-out",
                        "seed",
                        "output",
                        "run-id",
                        "device",
                        "master",
                        "log-every",
                        "release-lock"),
                USAGE);
        return CommandLine.build(USAGE, () -> {
            long seed = Long.parseLong(m.getOrDefault("seed", "1234"));
            TrainingOptions d = TrainingOptions.paperDefaults(seed);
            TrainingOptions training = new TrainingOptions(
                    Integer.parseInt(m.getOrDefault("epochs", Integer.toString(d.epochs()))),
                    Integer.parseInt(m.getOrDefault("batch-size", Integer.toString(d.batchSize()))),
                    Double.parseDouble(m.getOrDefault("lr", Double.toString(d.learningRate()))),
                    Double.parseDouble(m.getOrDefault("weight-decay", Double.toString(d.weightDecay()))),
                    d.beta1(),
                    d.beta2(),
                    d.epsilon(),
                    seed,
                    Integer.parseInt(m.getOrDefault("hidden", "0")),
                    Integer.parseInt(m.getOrDefault("log-every", Integer.toString(d.logEvery()))));
            return new TrainerJobOptions(
                    m.getOrDefault("input", "out/criteria"),
                    m.get("model"),
                    ImportanceCriterion.parse(m.getOrDefault("criterion", "plainact")),
                    FeaturePosition.parse(m.getOrDefault("features", "plan")),
                    CommandLine.list(m.get("tasks"), String::trim, List.of()),
                    CommandLine.list(m.get("shots"), Integer::parseInt, List.of()),
                    m.containsKey("predictors")
                            ? CommandLine.list(m.get("predictors"), PredictorKind::parse, List.of())
                            : List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU),
                    training,
                    Double.parseDouble(m.getOrDefault("held-out", "0.1")),
                    seed,
                    m.getOrDefault("output", "out/trainer"),
                    m.getOrDefault("run-id", CommandLine.defaultRunId("train")),
                    m.getOrDefault("device", "auto"),
                    m.getOrDefault("master", "local[*]"),
                    CommandLine.bool("--release-lock", m.getOrDefault("release-lock", "false")));
        });
    }
}
