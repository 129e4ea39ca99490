package org.shadowllm.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.shadowllm.common.predictor.PredictorDesign;

/**
 * How predictors are trained. The defaults are the paper's: AdamW at lr 1e-3 with a cosine schedule
 * to 0 over all steps, MSE loss, 100 epochs, batch 32. Weight decay 0.01 is PyTorch's AdamW default.
 *
 * @param design   the networks' widths (0 takes the predictor kind's own) and neuron block
 * @param logEvery log progress every this many epochs (and always the first and last)
 */
public record TrainingOptions(
        int epochs,
        int batchSize,
        double learningRate,
        double weightDecay,
        double beta1,
        double beta2,
        double epsilon,
        long seed,
        PredictorDesign design,
        int logEvery)
        implements java.io.Serializable {
    public TrainingOptions {
        if (epochs < 1 || batchSize < 1 || logEvery < 1 || design == null) {
            throw new IllegalArgumentException("epochs, batch size and log interval must be ≥ 1, with a design");
        }
        if (!(learningRate > 0)
                || !(weightDecay >= 0)
                || !(epsilon > 0)
                || !(beta1 >= 0 && beta1 < 1)
                || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("need lr > 0, weight decay ≥ 0, eps > 0 and betas in [0, 1)");
        }
    }

    public static TrainingOptions paperDefaults(long seed) {
        return new TrainingOptions(100, 32, 1e-3, 0.01, 0.9, 0.999, 1e-8, seed, PredictorDesign.DEFAULT, 10);
    }

    public TrainingOptions withEpochs(int newEpochs) {
        return new TrainingOptions(
                newEpochs, batchSize, learningRate, weightDecay, beta1, beta2, epsilon, seed, design, logEvery);
    }

    /** Learning rate at step {@code step} of {@code total}: cosine from lr down to 0 (PyTorch's CosineAnnealingLR). */
    public double learningRateAt(long step, long total) {
        return learningRate * 0.5 * (1 + Math.cos(Math.PI * step / total));
    }

    /** The options as strings, for manifests. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("optimizer", "AdamW");
        m.put("schedule", "cosine to 0 per step");
        m.put("loss", "MSE");
        m.put("epochs", Integer.toString(epochs));
        m.put("batch_size", Integer.toString(batchSize));
        m.put("lr", Double.toString(learningRate));
        m.put("weight_decay", Double.toString(weightDecay));
        m.put("betas", beta1 + "," + beta2);
        m.put("eps", Double.toString(epsilon));
        m.put("seed", Long.toString(seed));
        m.put("hidden", design.hidden() == 0 ? "kind default" : Integer.toString(design.hidden()));
        // manifests of runs that leave the neurons to the kind read as before these options
        if (design.neuronHidden() != 0 || design.neuronBlock() != 0) {
            m.put(
                    "neuron_hidden",
                    design.neuronHidden() == 0 ? "kind default" : Integer.toString(design.neuronHidden()));
            m.put("neuron_block", design.neuronBlock() == 0 ? "kind default" : Integer.toString(design.neuronBlock()));
        }
        return m;
    }
}
