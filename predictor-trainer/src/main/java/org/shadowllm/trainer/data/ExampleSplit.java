package org.shadowllm.trainer.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A seeded split into training and held-out examples by {@link ImportanceRecord#splitKey()}: the
 * same underlying example never appears on both sides, whatever its shot count. It depends only on
 * the set of keys and the seed, not on the order rows arrive in.
 */
public record ExampleSplit(List<ImportanceRecord> train, List<ImportanceRecord> heldOut) {
    public ExampleSplit {
        train = List.copyOf(train);
        heldOut = List.copyOf(heldOut);
    }

    public static ExampleSplit of(List<ImportanceRecord> records, long seed, double heldOutFraction) {
        if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
            throw new IllegalArgumentException("held-out fraction must be in (0, 1), got " + heldOutFraction);
        }
        List<String> keys = new ArrayList<>(
                new TreeSet<>(records.stream().map(ImportanceRecord::splitKey).toList()));
        if (keys.size() < 2) {
            throw new IllegalArgumentException("need at least 2 distinct examples to split, got " + keys.size());
        }
        Collections.shuffle(keys, new Random(seed));
        int held = (int) Math.max(1, Math.min(keys.size() - 1, Math.round(keys.size() * heldOutFraction)));
        Set<String> heldKeys = Set.copyOf(keys.subList(0, held));
        List<ImportanceRecord> tr = new ArrayList<>();
        List<ImportanceRecord> ho = new ArrayList<>();
        for (ImportanceRecord r : sorted(records)) {
            (heldKeys.contains(r.splitKey()) ? ho : tr).add(r);
        }
        return new ExampleSplit(tr, ho);
    }

    private static List<ImportanceRecord> sorted(List<ImportanceRecord> records) {
        List<ImportanceRecord> s = new ArrayList<>(records);
        s.sort(java.util.Comparator.comparing(ImportanceRecord::splitKey).thenComparingInt(ImportanceRecord::shots));
        return s;
    }
}
