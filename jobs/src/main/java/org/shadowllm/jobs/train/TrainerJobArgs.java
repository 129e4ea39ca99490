package org.shadowllm.jobs.train;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.PredictorDesign;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.jobs.cli.JobRunOptions;
import org.shadowllm.trainer.train.TrainingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The trainer job's command line: each option once, with its default and its help. */
@Command(
        name = "train",
        sortOptions = false,
        abbreviateSynopsis = true,
        description = "trainer job: fits importance predictors from the criteria job's criteria_examples table; "
                + "writes predictors/ and predictor_metrics/ under --output.")
public final class TrainerJobArgs {
    /** The paper's training settings; the seed is --seed's. */
    private static final TrainingOptions PAPER = TrainingOptions.paperDefaults(0);

    @Option(
            names = "--input",
            paramLabel = "PATH",
            defaultValue = "out/criteria",
            description = "criteria job output root (default: ${DEFAULT-VALUE})")
    String input;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            description = "model partition to train for (default: the only one in the table)")
    String model;

    @Option(
            names = "--criterion",
            paramLabel = "C",
            defaultValue = "plainact",
            description = "l2norm,gradnorm,plainact,fisher,snip,nwot,grasp (default: ${DEFAULT-VALUE})")
    ImportanceCriterion criterion;

    @Option(
            names = "--features",
            paramLabel = "P",
            defaultValue = "plan",
            description = "token the features are taken at: plan (the last context token, where the bench makes "
                    + "its plan) or last (the last input token, a gold continuation token) (default: "
                    + "${DEFAULT-VALUE})")
    FeaturePosition features;

    @Option(
            names = "--tasks",
            paramLabel = "LIST",
            split = ",",
            description = "tasks to read (default: all in the table)")
    List<String> tasks = new ArrayList<>();

    @Option(
            names = "--shots",
            paramLabel = "LIST",
            split = ",",
            description = "shot counts to read (default: all in the table)")
    List<Integer> shots = new ArrayList<>();

    @Option(
            names = "--predictors",
            paramLabel = "LIST",
            split = ",",
            defaultValue = "shadowllm-split,dejavu",
            description = "shadowllm,shadowllm-split,dejavu,dejavu-inflated (default: ${DEFAULT-VALUE})")
    List<PredictorKind> predictors;

    @Option(names = "--epochs", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int epochs = PAPER.epochs();

    @Option(names = "--batch-size", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize = PAPER.batchSize();

    @Option(
            names = "--lr",
            paramLabel = "X",
            description = "AdamW learning rate, cosine-annealed to 0 (default: ${DEFAULT-VALUE})")
    double lr = PAPER.learningRate();

    @Option(names = "--weight-decay", paramLabel = "X", description = "(default: ${DEFAULT-VALUE})")
    double weightDecay = PAPER.weightDecay();

    @Option(
            names = "--hidden",
            paramLabel = "N",
            description = "hidden width of the networks that score heads (or heads and neurons together); 0 = "
                    + "the kind's own: 2048 for shadowllm and shadowllm-split, 1000 (DejaVu's rank) for dejavu "
                    + "(default: ${DEFAULT-VALUE})")
    int hidden = PAPER.design().hidden();

    @Option(
            names = "--neuron-hidden",
            paramLabel = "N",
            description = "hidden width of the networks that score neurons alone (shadowllm-split's neuron "
                    + "network, dejavu's MLP predictors); 0 = the kind's own: a quarter of --hidden for "
                    + "shadowllm-split, --hidden for dejavu (default: ${DEFAULT-VALUE})")
    int neuronHidden = PAPER.design().neuronHidden();

    @Option(
            names = "--neuron-block",
            paramLabel = "B",
            description = "consecutive FFN neurons that share one predicted score, kept or dropped together; "
                    + "trained on the block's mean criterion; must divide the FFN width; 0 = the kind's own: "
                    + "8 for shadowllm-split (1 where 8 does not divide the FFN width), 1 for the others "
                    + "(default: ${DEFAULT-VALUE})")
    int neuronBlock = PAPER.design().neuronBlock();

    @Option(
            names = "--held-out",
            paramLabel = "X",
            defaultValue = "0.1",
            description = "fraction of examples held out (default: ${DEFAULT-VALUE})")
    double heldOut;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "1234",
            description = "seed of the held-out split, and of initialization and shuffling unless --init-seed "
                    + "says otherwise (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--init-seed",
            paramLabel = "N",
            description = "seed of the networks' initialization and of shuffling, apart from the split: "
                    + "predictors from several init seeds on one split show the spread training alone gives "
                    + "(default: --seed's)")
    Long initSeed;

    @Option(names = "--log-every", paramLabel = "N", description = "log every N epochs (default: ${DEFAULT-VALUE})")
    int logEvery = PAPER.logEvery();

    @Mixin
    JobRunOptions run = new JobRunOptions("out/trainer", "train");

    /** The options these values make; an {@link IllegalArgumentException} says which value is refused. */
    TrainerJobOptions options() {
        TrainingOptions training = new TrainingOptions(
                epochs,
                batchSize,
                lr,
                weightDecay,
                PAPER.beta1(),
                PAPER.beta2(),
                PAPER.epsilon(),
                initSeed == null ? seed : initSeed,
                new PredictorDesign(hidden, neuronHidden, neuronBlock),
                logEvery);
        return new TrainerJobOptions(
                input,
                model,
                criterion,
                features,
                tasks.stream().map(String::trim).filter(t -> !t.isEmpty()).toList(),
                shots,
                predictors,
                training,
                heldOut,
                seed,
                run.run());
    }
}
