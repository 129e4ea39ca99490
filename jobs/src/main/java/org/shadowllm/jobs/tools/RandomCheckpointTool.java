package org.shadowllm.jobs.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.CheckpointFormat;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.jobs.cli.CommandLine;

/**
 * Writes a seeded random OPT or Llama checkpoint of a real model's shape (or any shape), in safetensors or
 * PyTorch {@code .bin}, fp16, bf16 or fp32, with GPT-2 tokenizer files: the at-size runs of the README
 * and BENCHMARKS without downloading weights. One tensor is in memory at a time.
 */
public final class RandomCheckpointTool {
    private RandomCheckpointTool() {}

    /**
     * The decoder shapes of official checkpoints: OPT's pre-LayerNorm ones (OPT-350m differs and is left out),
     * Llama-2-7B/13B and TinyLlama-1.1B (grouped-query attention, 4 K/V heads).
     */
    enum Shape {
        OPT_125M("opt-125m", ModelFamily.OPT, 12, 768, 12, 12, 3072),
        OPT_1_3B("opt-1.3b", ModelFamily.OPT, 24, 2048, 32, 32, 8192),
        OPT_2_7B("opt-2.7b", ModelFamily.OPT, 32, 2560, 32, 32, 10240),
        OPT_6_7B("opt-6.7b", ModelFamily.OPT, 32, 4096, 32, 32, 16384),
        OPT_13B("opt-13b", ModelFamily.OPT, 40, 5120, 40, 40, 20480),
        OPT_30B("opt-30b", ModelFamily.OPT, 48, 7168, 56, 56, 28672),
        TINYLLAMA_1_1B("tinyllama-1.1b", ModelFamily.LLAMA, 22, 2048, 32, 4, 5632),
        LLAMA_2_7B("llama-2-7b", ModelFamily.LLAMA, 32, 4096, 32, 32, 11008),
        LLAMA_2_13B("llama-2-13b", ModelFamily.LLAMA, 40, 5120, 40, 40, 13824);

        final String key;
        final ModelFamily family;
        final int layers;
        final int hidden;
        final int heads;
        final int kvHeads;
        final int ffn;

        Shape(String key, ModelFamily family, int layers, int hidden, int heads, int kvHeads, int ffn) {
            this.key = key;
            this.family = family;
            this.layers = layers;
            this.hidden = hidden;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.ffn = ffn;
        }

        /** This shape with {@code layers}, {@code vocab} and {@code positions}; GPT-2 special tokens (the copied tokenizer). */
        DecoderConfig config(int layers, int vocab, int positions) {
            DecoderConfig.Builder b = DecoderConfig.builder(family)
                    .shape(vocab, hidden, layers, heads, ffn)
                    .kvHeads(kvHeads)
                    .maxPositions(positions)
                    .specialTokens(50256, 50256, family == ModelFamily.OPT ? 1 : 50256);
            return family == ModelFamily.OPT
                    ? b.tieWordEmbeddings(true).build()
                    : b.normEps(1e-5).build();
        }

        String key() {
            return key;
        }

        static Shape parse(String s) {
            for (Shape v : values()) {
                if (v.key().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return v;
                }
            }
            throw new IllegalArgumentException("--shape takes "
                    + java.util.Arrays.stream(values()).map(Shape::key).toList() + ", got '" + s + "'");
        }
    }

    private static final String USAGE =
            """
            random checkpoint: a seeded random OPT or Llama checkpoint of a given shape, with GPT-2 tokenizer files.
              --output DIR        the model folder to write (required; must not exist)
              --shape NAME        opt-125m, opt-1.3b, opt-2.7b, opt-6.7b, opt-13b, opt-30b, tinyllama-1.1b,
                                  llama-2-7b or llama-2-13b (default: opt-1.3b)
              --layers N          override the shape's layers (e.g. fewer, to fit memory)
              --vocab N           vocabulary (default: 50272)   --positions N  (default: 2048)
              --dtype D           fp16, bf16 or fp32 (default: fp16, as the official checkpoints)
              --format F          safetensors or bin (default: safetensors)
              --seed N            (default: 1)
              --tokenizer DIR     folder whose tokenizer files are copied (default: <shared>/models/opt-mini-trained)""";

    public static void main(String[] args) {
        try {
            String done = run(args);
            System.out.println(done);
        } catch (CommandLine.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            System.err.println("random checkpoint failed: " + e.getMessage());
            System.exit(1);
        }
    }

    static String run(String[] args) {
        Map<String, String> m = CommandLine.parse(
                args,
                Set.of("output", "shape", "layers", "vocab", "positions", "dtype", "format", "seed", "tokenizer"),
                USAGE);
        record Options(
                Path output,
                DecoderConfig config,
                SafetensorsDtype dtype,
                CheckpointFormat format,
                long seed,
                Path tokenizer) {}
        Options o = CommandLine.build(USAGE, () -> {
            if (!m.containsKey("output")) {
                throw new IllegalArgumentException("--output is required");
            }
            Shape shape = Shape.parse(m.getOrDefault("shape", "opt-1.3b"));
            int layers = Integer.parseInt(m.getOrDefault("layers", Integer.toString(shape.layers)));
            int vocab = Integer.parseInt(m.getOrDefault("vocab", "50272"));
            int positions = Integer.parseInt(m.getOrDefault("positions", "2048"));
            // GPT-2 ids with BOS = EOS = 50256, as the shared models: the copied tokenizer's ids (a Llama shape
            // keeps the GPT-2 vocabulary for that reason, as tiny-random-llama does)
            DecoderConfig config = shape.config(layers, vocab, positions);
            SafetensorsDtype dtype =
                    switch (m.getOrDefault("dtype", "fp16").trim().toLowerCase(Locale.ROOT)) {
                        case "fp16" -> SafetensorsDtype.F16;
                        case "bf16" -> SafetensorsDtype.BF16;
                        case "fp32" -> SafetensorsDtype.F32;
                        default -> throw new IllegalArgumentException(
                                "--dtype takes fp16, bf16 or fp32, got '" + m.get("dtype") + "'");
                    };
            CheckpointFormat format =
                    switch (m.getOrDefault("format", "safetensors").trim().toLowerCase(Locale.ROOT)) {
                        case "safetensors" -> CheckpointFormat.SAFETENSORS;
                        case "bin" -> CheckpointFormat.BIN;
                        default -> throw new IllegalArgumentException(
                                "--format takes safetensors or bin, got '" + m.get("format") + "'");
                    };
            return new Options(
                    Path.of(m.get("output")),
                    config,
                    dtype,
                    format,
                    Long.parseLong(m.getOrDefault("seed", "1")),
                    Path.of(m.getOrDefault(
                            "tokenizer", SharedPaths.model("opt-mini-trained").toString())));
        });
        if (Files.exists(o.output())) {
            throw new IllegalArgumentException(o.output() + " exists: the tool writes a new model folder only");
        }
        long start = System.nanoTime();
        RandomCheckpoint.write(o.output(), o.config(), o.seed(), o.dtype(), o.format());
        try {
            for (String name : new String[] {"vocab.json", "merges.txt", "tokenizer.json"}) {
                Path from = o.tokenizer().resolve(name);
                if (Files.isRegularFile(from)) {
                    Files.copy(from, o.output().resolve(name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the tokenizer files from " + o.tokenizer(), e);
        }
        return String.format(
                "wrote %s: %s, %d layers, hidden %d, %d heads (%d K/V), FFN %d, %s %s, seed %d, fingerprint %s (%.1f s)",
                o.output(),
                o.config().family().modelType(),
                o.config().numLayers(),
                o.config().hiddenSize(),
                o.config().numHeads(),
                o.config().numKvHeads(),
                o.config().ffnDim(),
                o.dtype(),
                o.format().fileName(),
                o.seed(),
                ModelFingerprint.of(o.output()),
                (System.nanoTime() - start) / 1e9);
    }
}
