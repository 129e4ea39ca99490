package org.shadowllm.common.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * A seeded random checkpoint of any family and shape, in Hugging Face layout (the family's
 * {@link TensorLayout}), for tests and benchmarks. Weights are N(0, 0.02²); biases and norm parameters are
 * perturbed so that no code path can get away with assuming zeros or ones.
 */
public final class RandomCheckpoint {
    private RandomCheckpoint() {}

    /** One tensor of the layout: drawn N(0, std²), plus {@code offset} (norm weights sit around 1). */
    public record Entry(SafetensorsWriter.Spec spec, double std, float offset) {}

    /** The checkpoint's tensors in the order they are drawn from one seeded generator. */
    public static List<Entry> layout(DecoderConfig c) {
        TensorLayout names = TensorLayout.canonical(c);
        List<Entry> t = new ArrayList<>();
        int e = c.hiddenSize();
        int p = c.wordEmbedProjDim();
        int f = c.ffnDim();
        add(t, names.embedTokens(), 0.02, c.vocabSize(), p);
        add(t, names.positions(), 0.02, c.positionRows(), e);
        add(t, names.projectIn(), 0.02, e, p);
        add(t, names.projectOut(), 0.02, p, e);
        int[] qkvRows = {c.attentionWidth(), c.kvWidth(), c.kvWidth()};
        for (TensorLayout.Layer n : names.layers()) {
            for (int i = 0; i < 3; i++) {
                add(t, n.qkv().get(i), 0.02, qkvRows[i], e);
                add(t, n.qkvBias() == null ? null : n.qkvBias().get(i), 0.02, qkvRows[i]);
            }
            add(t, n.out(), 0.02, e, c.attentionWidth());
            add(t, n.outBias(), 0.02, e);
            norm(t, n.attnNormWeight(), n.attnNormBias(), e);
            for (String in : n.neuronIn()) {
                add(t, in, 0.02, f, e);
            }
            add(t, n.neuronInBias(), 0.02, f);
            add(t, n.neuronOut(), 0.02, e, f);
            add(t, n.neuronOutBias(), 0.02, e);
            norm(t, n.ffnNormWeight(), n.ffnNormBias(), e);
        }
        norm(t, names.finalNormWeight(), names.finalNormBias(), e);
        add(t, names.lmHead(), 0.02, c.vocabSize(), p);
        return t;
    }

    /** Draws the layout's tensors in order from one seeded generator: call {@link #next} once per entry, in order. */
    public static final class Draws {
        private final SplittableRandom rnd;

        public Draws(long seed) {
            rnd = new SplittableRandom(seed);
        }

        public float[] next(Entry entry) {
            float[] v = new float[Math.toIntExact(entry.spec().numel())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (entry.std() * rnd.nextGaussian());
            }
            if (entry.offset() != 0) {
                for (int i = 0; i < v.length; i++) {
                    v[i] += entry.offset();
                }
            }
            return v;
        }
    }

    public static Map<String, Tensor> stateDict(DecoderConfig c, long seed) {
        Draws draws = new Draws(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Entry entry : layout(c)) {
            t.put(
                    entry.spec().name(),
                    new Tensor(draws.next(entry), entry.spec().shape()));
        }
        return t;
    }

    /** Writes {@code config.json} and {@code model.safetensors} (F32) into {@code dir}. */
    public static void write(Path dir, DecoderConfig c, long seed) {
        write(dir, c, stateDict(c, seed));
    }

    public static void write(Path dir, DecoderConfig c, Map<String, Tensor> tensors) {
        writeConfig(dir, c);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    /**
     * Writes {@code config.json} and the weights, drawn as {@link #stateDict} draws them and rounded to
     * {@code dtype}, as {@code model.safetensors} or {@code pytorch_model.bin}, one tensor in memory at
     * a time (OPT-1.3B's largest, the embeddings, is 412 MB in fp32).
     */
    public static void write(Path dir, DecoderConfig c, long seed, SafetensorsDtype dtype, CheckpointFormat format) {
        writeConfig(dir, c);
        List<Entry> layout = layout(c);
        Map<String, Entry> byName = new LinkedHashMap<>();
        layout.forEach(e -> byName.put(e.spec().name(), e));
        List<SafetensorsWriter.Spec> specs = layout.stream().map(Entry::spec).toList();
        Draws draws = new Draws(seed);
        java.util.function.Function<SafetensorsWriter.Spec, float[]> values = s -> draws.next(byName.get(s.name()));
        switch (format) {
            case SAFETENSORS -> SafetensorsWriter.write(
                    dir.resolve(format.fileName()), specs, dtype, Map.of("format", "pt"), values);
            case BIN -> org.shadowllm.common.pytorch.TorchBinWriter.write(
                    dir.resolve(format.fileName()), specs, dtype, values);
        }
    }

    private static void writeConfig(Path dir, DecoderConfig c) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), configJson(c));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + dir, ex);
        }
    }

    /** The Hugging Face {@code config.json} that reads back as {@code c}. */
    public static String configJson(DecoderConfig c) {
        return ModelCheckpoint.configJson(c);
    }

    /** Adds a tensor the layout names; a null name (none in this model) adds nothing. */
    private static void add(List<Entry> t, String name, double std, long... shape) {
        if (name != null) {
            t.add(new Entry(new SafetensorsWriter.Spec(name, shape), std, 0f));
        }
    }

    private static void norm(List<Entry> t, String weight, String bias, int e) {
        if (weight != null) {
            t.add(new Entry(new SafetensorsWriter.Spec(weight, new long[] {e}), 0.1, 1f));
        }
        add(t, bias, 0.1, e);
    }
}
