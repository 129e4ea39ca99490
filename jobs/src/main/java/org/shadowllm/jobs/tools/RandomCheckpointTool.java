package org.shadowllm.jobs.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.shadowllm.common.Keyed;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.CheckpointFormat;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.jobs.cli.HelpRequested;
import org.shadowllm.jobs.cli.JobCommandLine;
import org.shadowllm.jobs.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
    enum Shape implements Keyed {
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

        @Override
        public String key() {
            return key;
        }
    }

    /** The element type of the weights written: the official checkpoints' fp16, or bf16 or fp32. */
    enum Dtype implements Keyed {
        FP16(SafetensorsDtype.F16),
        BF16(SafetensorsDtype.BF16),
        FP32(SafetensorsDtype.F32);

        final SafetensorsDtype stored;

        Dtype(SafetensorsDtype stored) {
            this.stored = stored;
        }

        @Override
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The tool's command line: each option once, with its default and its help. */
    @Command(
            name = "random-checkpoint",
            sortOptions = false,
            abbreviateSynopsis = true,
            description = "random checkpoint: a seeded random OPT or Llama checkpoint of a given shape, with GPT-2 "
                    + "tokenizer files.")
    public static final class Args {
        @Option(
                names = "--output",
                paramLabel = "DIR",
                required = true,
                description = "the model folder to write (required; must not exist)")
        Path output;

        @Option(
                names = "--shape",
                paramLabel = "NAME",
                defaultValue = "opt-1.3b",
                description = "opt-125m, opt-1.3b, opt-2.7b, opt-6.7b, opt-13b, opt-30b, tinyllama-1.1b, llama-2-7b "
                        + "or llama-2-13b (default: ${DEFAULT-VALUE})")
        Shape shape;

        @Option(
                names = "--layers",
                paramLabel = "N",
                description = "override the shape's layers (e.g. fewer, to fit memory)")
        Integer layers;

        @Option(
                names = "--vocab",
                paramLabel = "N",
                defaultValue = "50272",
                description = "vocabulary (default: ${DEFAULT-VALUE})")
        int vocab;

        @Option(
                names = "--positions",
                paramLabel = "N",
                defaultValue = "2048",
                description = "positions (default: ${DEFAULT-VALUE})")
        int positions;

        @Option(
                names = "--dtype",
                paramLabel = "D",
                defaultValue = "fp16",
                description = "fp16, bf16 or fp32 (default: ${DEFAULT-VALUE}, as the official checkpoints)")
        Dtype dtype;

        @Option(
                names = "--format",
                paramLabel = "F",
                defaultValue = "safetensors",
                description = "safetensors or bin (default: ${DEFAULT-VALUE})")
        CheckpointFormat format;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
        long seed;

        @Option(
                names = "--tokenizer",
                paramLabel = "DIR",
                description = "folder whose tokenizer files are copied (default: ${DEFAULT-VALUE})")
        Path tokenizer = SharedPaths.model("opt-mini-trained");

        /** What to write. */
        Options options() {
            // GPT-2 ids with BOS = EOS = 50256, as the shared models: the copied tokenizer's ids (a Llama shape
            // keeps the GPT-2 vocabulary for that reason, as tiny-random-llama does)
            DecoderConfig config = shape.config(layers != null ? layers : shape.layers, vocab, positions);
            return new Options(output, config, dtype.stored, format, seed, tokenizer);
        }
    }

    /** A checkpoint to write: where, its shape, element type and file format, its seed and tokenizer source. */
    record Options(
            Path output,
            DecoderConfig config,
            SafetensorsDtype dtype,
            CheckpointFormat format,
            long seed,
            Path tokenizer) {}

    public static void main(String[] args) {
        try {
            String done = run(args);
            System.out.println(done);
        } catch (HelpRequested e) {
            System.out.print(e.usage());
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            System.err.println("random checkpoint failed: " + e.getMessage());
            System.exit(1);
        }
    }

    static String run(String[] args) {
        Options o = JobCommandLine.parse(new Args(), args, Args::options);
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
