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
 * Writes a seeded random OPT checkpoint of a real model's shape (or any shape), in safetensors or
 * PyTorch {@code .bin}, fp16, bf16 or fp32, with GPT-2 tokenizer files: the at-size runs of the README
 * and BENCHMARKS without downloading weights. One tensor is in memory at a time.
 */
public final class RandomCheckpointTool {
    private RandomCheckpointTool() {}

    /** The decoder shapes of the official OPT checkpoints (pre-LayerNorm ones; OPT-350m differs and is left out). */
    enum Shape {
        OPT_125M("opt-125m", 12, 768, 12, 3072),
        OPT_1_3B("opt-1.3b", 24, 2048, 32, 8192),
        OPT_2_7B("opt-2.7b", 32, 2560, 32, 10240),
        OPT_6_7B("opt-6.7b", 32, 4096, 32, 16384),
        OPT_13B("opt-13b", 40, 5120, 40, 20480),
        OPT_30B("opt-30b", 48, 7168, 56, 28672);

        final String key;
        final int layers;
        final int hidden;
        final int heads;
        final int ffn;

        Shape(String key, int layers, int hidden, int heads, int ffn) {
            this.key = key;
            this.layers = layers;
            this.hidden = hidden;
            this.heads = heads;
            this.ffn = ffn;
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
            random checkpoint: a seeded random OPT checkpoint of a given shape, with GPT-2 tokenizer files.
              --output DIR        the model folder to write (required; must not exist)
              --shape NAME        opt-125m, opt-1.3b, opt-2.7b, opt-6.7b, opt-13b or opt-30b (default: opt-1.3b)
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
            // GPT-2 ids with BOS = EOS = 50256, as the shared models: the copied tokenizer's ids
            DecoderConfig config = DecoderConfig.builder(ModelFamily.OPT)
                    .shape(vocab, shape.hidden, layers, shape.heads, shape.ffn)
                    .maxPositions(positions)
                    .wordEmbedProjDim(shape.hidden)
                    .norms(true, true)
                    .biases(true)
                    .tieWordEmbeddings(true)
                    .specialTokens(50256, 50256, 1)
                    .build();
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
                "wrote %s: %d layers, hidden %d, %d heads, FFN %d, %s %s, seed %d, fingerprint %s (%.1f s)",
                o.output(),
                o.config().numLayers(),
                o.config().hiddenSize(),
                o.config().numHeads(),
                o.config().ffnDim(),
                o.dtype(),
                o.format().fileName(),
                o.seed(),
                ModelFingerprint.of(o.output()),
                (System.nanoTime() - start) / 1e9);
    }
}
