package org.shadowllm.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExampleSplitTest {
    private static List<ImportanceRecord> table() {
        List<ImportanceRecord> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            for (int shots : new int[] {0, 3, 5}) {
                rows.add(new ImportanceRecord(
                        "piqa/" + i,
                        "piqa",
                        shots,
                        Integer.toString(i),
                        new float[0],
                        new float[0],
                        new float[0],
                        new float[0]));
            }
        }
        return rows;
    }

    private static Set<String> keys(List<ImportanceRecord> rows) {
        Set<String> s = new HashSet<>();
        rows.forEach(r -> s.add(r.splitKey()));
        return s;
    }

    @Test
    void everyShotCountOfAnExampleLandsOnTheSameSide() {
        ExampleSplit s = ExampleSplit.of(table(), 1, 0.25);
        Set<String> train = keys(s.train());
        Set<String> held = keys(s.heldOut());
        assertTrue(Collections.disjoint(train, held));
        assertEquals(10, held.size());
        assertEquals(30, s.heldOut().size());
        assertEquals(120, s.train().size() + s.heldOut().size());
    }

    @Test
    void theSplitDependsOnTheSeedButNotOnRowOrder() {
        List<ImportanceRecord> shuffled = table();
        Collections.shuffle(shuffled, new java.util.Random(99));
        assertEquals(
                keys(ExampleSplit.of(table(), 1, 0.25).heldOut()),
                keys(ExampleSplit.of(shuffled, 1, 0.25).heldOut()));
        assertNotEquals(
                keys(ExampleSplit.of(table(), 1, 0.25).heldOut()),
                keys(ExampleSplit.of(table(), 2, 0.25).heldOut()));
    }
}
