package org.shadowllm.jobs.criteria;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.jobs.cli.JobNames;
import org.shadowllm.jobs.runtime.ExecutorModels;

class InputGuardsTest {
    @Test
    void aModelNameFromATableMustBeOneSafePathSegment() {
        assertEquals("opt-1.3b", JobNames.requirePathSegment("model", "opt-1.3b"));
        assertEquals("m_1.x-2", JobNames.requirePathSegment("model", "m_1.x-2"));
        for (String bad : new String[] {"..", ".", "a/b", "../../etc", "", "x y", "_m", ".hidden", "-x"}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> JobNames.requirePathSegment("the model name", bad));
            assertTrue(e.getMessage().startsWith("the model name must start with a letter or digit"), e.getMessage());
        }
    }

    @Test
    void anExecutorWhoseCopyOfTheModelDiffersFromTheDriversRefusesToLoadIt() {
        String dir = SharedPaths.model("tiny-random-opt").toString();
        IllegalStateException e = assertThrows(
                IllegalStateException.class, () -> ExecutorModels.get(dir, "0000000000000000", Device.cpu(), 0));
        assertTrue(e.getMessage().contains("the driver's has 0000000000000000"), e.getMessage());
    }
}
