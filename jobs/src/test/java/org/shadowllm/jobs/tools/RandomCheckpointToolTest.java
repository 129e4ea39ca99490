package org.shadowllm.jobs.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.checkpoint.Checkpoint;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.safetensors.HalfFloats;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;
import org.shadowllm.jobs.cli.HelpRequested;
import org.shadowllm.jobs.cli.UsageException;

class RandomCheckpointToolTest {
    @TempDir
    Path dir;

    private static final String[] SMALL = {"--shape", "opt-125m", "--layers", "1", "--positions", "64"};

    private Path write(String name, String... extra) {
        Path out = dir.resolve(name);
        String[] args = java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(SMALL),
                        java.util.stream.Stream.concat(
                                java.util.stream.Stream.of("--output", out.toString()),
                                java.util.stream.Stream.of(extra)))
                .toArray(String[]::new);
        assertTrue(RandomCheckpointTool.run(args).startsWith("wrote " + out));
        return out;
    }

    /** Both formats hold the in-memory state dict's draws, rounded to the dtype: one seed, one checkpoint. */
    @Test
    void safetensorsAndBinOfOneSeedHoldTheSameDrawsRoundedToTheirDtype() {
        Path st = write("st", "--dtype", "fp16", "--seed", "7");
        Path bin = write("bin", "--dtype", "fp16", "--format", "bin", "--seed", "7");
        Path bf = write("bf", "--dtype", "bf16", "--format", "bin", "--seed", "7");
        Path f32 = write("f32", "--dtype", "fp32", "--seed", "7");
        assertTrue(Files.isRegularFile(bin.resolve("pytorch_model.bin")));
        assertTrue(Files.isRegularFile(st.resolve("merges.txt")), "tokenizer files copied");
        DecoderConfig config = ModelCheckpoint.readConfig(st);
        Map<String, Tensor> expected = RandomCheckpoint.stateDict(config, 7);
        try (Checkpoint a = Checkpoint.open(st);
                Checkpoint b = Checkpoint.open(bin);
                Checkpoint c = Checkpoint.open(bf);
                Checkpoint d = Checkpoint.open(f32)) {
            assertEquals(expected.keySet(), a.names());
            assertEquals(expected.keySet(), b.names());
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                float[] v = e.getValue().values();
                float[] half = new float[v.length];
                float[] brain = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    half[i] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(v[i]));
                    brain[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i]));
                }
                assertArrayEquals(e.getValue().shape(), a.shape(e.getKey()), e.getKey());
                assertArrayEquals(half, a.read(e.getKey()), e.getKey());
                assertArrayEquals(half, b.read(e.getKey()), e.getKey());
                assertArrayEquals(brain, c.read(e.getKey()), e.getKey());
                assertArrayEquals(v, d.read(e.getKey()), e.getKey());
            }
        }
    }

    /** A Llama shape writes a Llama config (grouped-query heads, SwiGLU width) and the family's tensor names and shapes. */
    @Test
    void aLlamaShapeWritesTheLlamaLayoutWithGroupedQueryHeads() {
        Path out = dir.resolve("tinyllama");
        RandomCheckpointTool.run(new String[] {
            "--shape",
            "tinyllama-1.1b",
            "--layers",
            "1",
            "--vocab",
            "50272",
            "--positions",
            "64",
            "--output",
            out.toString()
        });
        DecoderConfig config = ModelCheckpoint.readConfig(out);
        assertEquals(ModelFamily.LLAMA, config.family());
        assertEquals(32, config.numHeads());
        assertEquals(4, config.numKvHeads());
        assertEquals(64, config.headDim());
        assertEquals(5632, config.ffnDim());
        assertEquals(false, config.tieWordEmbeddings());
        try (Checkpoint ckpt = Checkpoint.open(out)) {
            assertArrayEquals(new long[] {256, 2048}, ckpt.shape("model.layers.0.self_attn.k_proj.weight"));
            assertArrayEquals(new long[] {2048, 2048}, ckpt.shape("model.layers.0.self_attn.o_proj.weight"));
            assertArrayEquals(new long[] {5632, 2048}, ckpt.shape("model.layers.0.mlp.gate_proj.weight"));
            assertEquals(
                    RandomCheckpoint.layout(config).stream()
                            .map(e -> e.spec().name())
                            .collect(java.util.stream.Collectors.toSet()),
                    ckpt.names());
        }
    }

    @Test
    void helpGivesTheUsageNamingEveryShapeAndWritesNothing() throws Exception {
        HelpRequested help = assertThrows(HelpRequested.class, () -> RandomCheckpointTool.run(new String[] {"--help"}));
        for (RandomCheckpointTool.Shape s : RandomCheckpointTool.Shape.values()) {
            assertTrue(help.usage().contains(s.key()), s.key() + " in\n" + help.usage());
        }
        assertTrue(help.usage().contains("--output=DIR"), help.usage());
        assertEquals(0, Files.list(dir).count());
    }

    @Test
    void anExistingFolderOrABadOptionIsRefusedAndNothingIsWritten() throws Exception {
        Path exists = Files.createDirectories(dir.resolve("exists"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> RandomCheckpointTool.run(new String[] {"--output", exists.toString()}));
        assertTrue(e.getMessage().contains("exists"), e.getMessage());
        assertEquals(0, Files.list(exists).count());
        for (String[] bad : new String[][] {{"--dtype", "int8"}, {"--format", "gguf"}, {"--shape", "opt-7b"}, {}}) {
            String[] args = bad.length == 0
                    ? new String[] {"--shape", "opt-125m"}
                    : java.util.stream.Stream.concat(
                                    java.util.stream.Stream.of(
                                            "--output", dir.resolve("never").toString()),
                                    java.util.stream.Stream.of(bad))
                            .toArray(String[]::new);
            assertThrows(UsageException.class, () -> RandomCheckpointTool.run(args), String.join(" ", bad));
        }
        assertTrue(!Files.exists(dir.resolve("never")));
    }
}
