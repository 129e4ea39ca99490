package org.shadowllm.bench.microbench;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;

/**
 * What the decode benchmarks measure: a random OPT's shape, a global budget with the paper's floors, a
 * random static mask, a random prompt, and random predictors (their cost does not depend on their values).
 * Args: layers heads ffn hidden sparsity prompt generate repeats.
 */
record RandomDecodeSetup(
        DecoderConfig config,
        double sparsity,
        int prompt,
        int generate,
        int repeats,
        SparsityBudget budget,
        float[][] staticHeads,
        float[][] staticNeurons,
        int[] text) {

    static RandomDecodeSetup parse(String[] a) {
        int layers = Integer.parseInt(a[0]);
        int heads = Integer.parseInt(a[1]);
        int ffn = Integer.parseInt(a[2]);
        int hidden = Integer.parseInt(a[3]);
        double sparsity = Double.parseDouble(a[4]);
        int prompt = Integer.parseInt(a[5]);
        DecoderConfig config = DecoderConfig.of(50272, hidden, layers, heads, ffn, 2048);
        SplittableRandom rnd = new SplittableRandom(4);
        float[][] staticHeads = new float[layers][heads];
        float[][] staticNeurons = new float[layers][ffn];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                staticHeads[l][h] = (float) rnd.nextDouble();
            }
            for (int k = 0; k < ffn; k++) {
                staticNeurons[l][k] = (float) rnd.nextDouble();
            }
        }
        int[] text = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            text[i] = rnd.nextInt(config.vocabSize());
        }
        return new RandomDecodeSetup(
                config,
                sparsity,
                prompt,
                Integer.parseInt(a[6]),
                Integer.parseInt(a[7]),
                new SparsityBudget(sparsity, SparsityBudget.Scope.GLOBAL, 1, SparsityBudget.defaultMinNeurons(ffn)),
                staticHeads,
                staticNeurons,
                text);
    }

    String describe() {
        DecoderConfig c = config;
        return String.format(
                "random OPT: %d layers, %d heads, FFN %d, hidden %d, vocab %d; %d cores; sparsity %.2f "
                        + "(global budget, floors 1 head and %d neurons); prompt %d, generate %d, median of %d",
                c.numLayers(),
                c.numHeads(),
                c.ffnDim(),
                c.hiddenSize(),
                c.vocabSize(),
                Runtime.getRuntime().availableProcessors(),
                sparsity,
                budget.minNeurons(),
                prompt,
                generate,
                repeats);
    }

    /** Saves random ShadowLLM (hidden 2048) and DejaVu (hidden 1000) predictors under {@code dir} and loads one. */
    PredictorRuntime predictor(PredictorKind kind, Path dir, NDManager manager) {
        Path p = dir.resolve(kind.key());
        PredictorArtifacts.save(
                RandomPredictors.of(
                        kind, PredictorShape.of(config), kind.defaultHidden(), kind == PredictorKind.SHADOWLLM ? 2 : 3),
                p);
        return PredictorRuntime.load(p, config, "random", kind, manager);
    }
}
