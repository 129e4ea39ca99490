package org.shadowllm.bench.microbench;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;

/**
 * What the decode benchmarks measure: a random model's shape, a global budget with the paper's floors, a
 * random static mask, a random prompt, and random predictors (their cost does not depend on their values).
 * Args: layers heads ffn hidden sparsity prompt generate repeats, then optional flags: {@code --family
 * opt|llama} (default opt), {@code --kv-heads N} (default: as many as query heads), {@code --head-dim D}
 * (default hidden / heads), {@code --vocab V} (default 50272 for OPT, 32000 for Llama).
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
        Map<String, String> flags = flags(a);
        ModelFamily family = ModelFamily.ofModelType(flags.getOrDefault("family", "opt"));
        int vocab = Integer.parseInt(flags.getOrDefault("vocab", family == ModelFamily.OPT ? "50272" : "32000"));
        DecoderConfig.Builder b = DecoderConfig.builder(family)
                .shape(vocab, hidden, layers, heads, ffn)
                .maxPositions(2048)
                // OPT's head is tied; Llama-2's and TinyLlama's are not
                .tieWordEmbeddings(family == ModelFamily.OPT);
        if (flags.containsKey("kv-heads")) {
            b.kvHeads(Integer.parseInt(flags.get("kv-heads")));
        }
        if (flags.containsKey("head-dim")) {
            b.headDim(Integer.parseInt(flags.get("head-dim")));
        }
        DecoderConfig config = b.build();
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

    /** {@code --name value} pairs after the positional arguments (and after the benchmark's own ones). */
    static Map<String, String> flags(String[] a) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < a.length; i++) {
            if (!a[i].startsWith("--")) {
                continue;
            }
            if (i + 1 >= a.length) {
                throw new IllegalArgumentException(a[i] + " needs a value");
            }
            String name = a[i].substring(2);
            if (!java.util.Set.of("family", "kv-heads", "head-dim", "vocab").contains(name)) {
                throw new IllegalArgumentException(
                        "unknown flag " + a[i] + "; known: --family, --kv-heads, --head-dim, --vocab");
            }
            out.put(name, a[++i]);
        }
        return out;
    }

    /** The positional arguments of {@code args}: those before the first flag. */
    static String[] positional(String[] args) {
        int n = 0;
        while (n < args.length && !args[n].startsWith("--")) {
            n++;
        }
        return java.util.Arrays.copyOf(args, n);
    }

    String describe() {
        DecoderConfig c = config;
        return String.format(
                "random %s: %d layers, %d heads (%d K/V heads) of %d, FFN %d (%s), hidden %d, vocab %d; %d cores; "
                        + "sparsity %.2f (global budget, floors 1 head and %d neurons); prompt %d, generate %d, "
                        + "median of %d",
                c.family().modelType(),
                c.numLayers(),
                c.numHeads(),
                c.numKvHeads(),
                c.headDim(),
                c.ffnDim(),
                c.family().ffn().name().toLowerCase(java.util.Locale.ROOT),
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
