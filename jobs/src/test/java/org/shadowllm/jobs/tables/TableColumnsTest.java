package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TableColumnsTest {

    @Test
    void aReaderNamingAColumnTheTableWritesGetsThatName() {
        for (String column : UnitImportanceTable.schema().fieldNames()) {
            assertEquals(column, UnitImportanceTable.name(column));
        }
        for (String column : CriteriaExamplesTable.schema().fieldNames()) {
            assertEquals(column, CriteriaExamplesTable.name(column));
        }
    }

    @Test
    void aReaderNamingAColumnTheTableDoesNotWriteFailsNamingTheColumnsItHas() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> UnitImportanceTable.name("setscore"));
        assertTrue(e.getMessage().contains("'setscore'"), e.getMessage());
        assertTrue(e.getMessage().contains("set_score"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CriteriaExamplesTable.col("head_plain_act"));
        assertTrue(Arrays.asList(CriteriaExamplesTable.schema().fieldNames()).contains("head_plainact"));
    }
}
