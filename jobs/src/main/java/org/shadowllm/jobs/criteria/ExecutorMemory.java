package org.shadowllm.jobs.criteria;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;

/**
 * What an executor needs outside its Java heap to score a model, from the config's shape and the
 * plan's longest prompt: the fp32 weights (one model per JVM), grasp's three arrays the size of the
 * neuron-input weights ({@code F × rows·E}: g, the shifted gradient and the moved weights; one example
 * at a time per model) and one batch's activations kept for the backward
 * ({@code L·B·T·4·(H·T + 4·rows·F + 12E)} bytes: the softmax outputs, four FFN-wide arrays per neuron-input
 * row (SwiGLU has two: gate and up) and a dozen stream-wide arrays a layer). Checked before a run starts,
 * so that a run that cannot fit says what to change instead of dying in its last set.
 */
record ExecutorMemory(long weightBytes, long graspBytes, long activationBytes) {
    static final long GIB = 1L << 30;

    static ExecutorMemory of(DecoderConfig config, Set<ImportanceCriterion> criteria, int batchSize, int maxTokens) {
        long params = RandomCheckpoint.layout(config).stream()
                .mapToLong(e -> e.spec().numel())
                .sum();
        int rows = config.family().ffn().inputRows();
        long neuronInputs = (long) config.numLayers() * config.ffnDim() * config.neuronInputWidth();
        long grasp = criteria.contains(ImportanceCriterion.GRASP) ? 3 * 4 * neuronInputs : 0;
        long t = maxTokens;
        long perToken = config.numHeads() * t + 4L * rows * config.ffnDim() + 12L * config.hiddenSize();
        long activations = (long) config.numLayers() * batchSize * t * 4 * perToken;
        return new ExecutorMemory(4 * params, grasp, activations);
    }

    long nativeBytes() {
        return weightBytes + graspBytes + activationBytes;
    }

    /**
     * What the run needs, for the log, with what to set when a local run's needs and heap bound exceed
     * the machine's memory; a local run whose needs alone exceed it is refused, naming what to set.
     */
    String require(long heapMax, long physical, Set<ImportanceCriterion> criteria, boolean local) {
        String needs = String.format(
                Locale.ROOT,
                "%.1f GiB outside the Java heap (fp32 weights %.1f GiB, grasp %.1f GiB, activations %.1f GiB)",
                gib(nativeBytes()),
                gib(weightBytes),
                gib(graspBytes),
                gib(activationBytes));
        if (!local) {
            return "each executor needs " + needs + ": give executors at least that in spark.executor.memoryOverhead";
        }
        String within = String.format(
                Locale.ROOT,
                " besides a Java heap of up to %.1f GiB, on a machine of %.1f GiB",
                gib(heapMax),
                gib(physical));
        if (nativeBytes() + heapMax <= physical) {
            return "this run needs " + needs + within;
        }
        StringBuilder b = new StringBuilder(nativeBytes() > physical ? "not enough memory" : "memory may be short")
                .append(" for this model on this machine: it needs ")
                .append(needs)
                .append(within)
                .append('.');
        if (graspBytes > 0) {
            Set<ImportanceCriterion> rest = EnumSet.copyOf(criteria);
            rest.remove(ImportanceCriterion.GRASP);
            String others = rest.stream().map(ImportanceCriterion::key).collect(Collectors.joining(","));
            b.append(String.format(Locale.ROOT, " Leave grasp out to save %.1f GiB", gib(graspBytes)))
                    .append(rest.isEmpty() ? "" : " (--criteria " + others + ")")
                    .append(';');
        }
        b.append(" lower --batch-size (activations grow with it) or the heap bound (-Xmx, e.g. -Drun.jvm.args=-Xmx4g"
                + " with exec:exec, or spark.driver.memory: the model and the criteria's arrays live outside it);"
                + " or run on executors with more memory.");
        if (nativeBytes() > physical) {
            throw new IllegalArgumentException(b.toString());
        }
        return b.toString();
    }

    private static double gib(long bytes) {
        return bytes / (double) GIB;
    }
}
