package org.shadowllm.common.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.pytorch.TorchBinWriter;

/** A writer that fails part-way leaves neither the file nor its temporary behind. */
class StreamedWritersTest {
    @TempDir
    Path dir;

    static final List<SafetensorsWriter.Spec> SPECS = List.of(
            new SafetensorsWriter.Spec("a", new long[] {2, 3}), new SafetensorsWriter.Spec("b", new long[] {4}));

    /** Gives the second tensor one value too few. */
    static float[] shortSecond(SafetensorsWriter.Spec s) {
        return new float[(int) s.numel() - (s.name().equals("b") ? 1 : 0)];
    }

    @Test
    void aTensorWithTheWrongNumberOfValuesLeavesNoFileBehind() throws Exception {
        IllegalArgumentException st = assertThrows(
                IllegalArgumentException.class,
                () -> SafetensorsWriter.write(
                        dir.resolve("model.safetensors"),
                        SPECS,
                        SafetensorsDtype.F16,
                        Map.of(),
                        StreamedWritersTest::shortSecond));
        assertTrue(st.getMessage().startsWith("b: 3 values"), st.getMessage());
        IllegalArgumentException bin = assertThrows(
                IllegalArgumentException.class,
                () -> TorchBinWriter.write(
                        dir.resolve("pytorch_model.bin"),
                        SPECS,
                        SafetensorsDtype.BF16,
                        StreamedWritersTest::shortSecond));
        assertTrue(bin.getMessage().startsWith("b: 3 values"), bin.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "nothing half-written");
        }
    }

    @Test
    void onlyFloatDtypesAreWritten() {
        assertThrows(
                IllegalArgumentException.class,
                () -> SafetensorsWriter.write(
                        dir.resolve("x.safetensors"), SPECS, SafetensorsDtype.I32, Map.of(), s -> new float[0]));
    }
}
