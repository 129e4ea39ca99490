package org.shadowllm.trainer.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
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
        Set<String> heldKeys =
                heldOutKeys(records.stream().map(ImportanceRecord::splitKey).toList(), seed, heldOutFraction);
        List<ImportanceRecord> tr = new ArrayList<>();
        List<ImportanceRecord> ho = new ArrayList<>();
        List<ImportanceRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparing(ImportanceRecord::splitKey).thenComparingInt(ImportanceRecord::shots));
        for (ImportanceRecord r : sorted) {
            (heldKeys.contains(r.splitKey()) ? ho : tr).add(r);
        }
        return new ExampleSplit(tr, ho);
    }

    /**
     * The split keys held out among {@code keys} (repeats count once): a seeded shuffle of the sorted
     * distinct keys, of which the first {@code round(fraction × count)} are held out (at least one on
     * each side). Both sides list their rows by split key, then shot count.
     */
    public static Set<String> heldOutKeys(Collection<String> keys, long seed, double heldOutFraction) {
        if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
            throw new IllegalArgumentException("held-out fraction must be in (0, 1), got " + heldOutFraction);
        }
        List<String> distinct = new ArrayList<>(new TreeSet<>(keys));
        if (distinct.size() < 2) {
            throw new IllegalArgumentException("need at least 2 distinct examples to split, got " + distinct.size());
        }
        Collections.shuffle(distinct, new Random(seed));
        int held = (int) Math.max(1, Math.min(distinct.size() - 1, Math.round(distinct.size() * heldOutFraction)));
        return Set.copyOf(distinct.subList(0, held));
    }
}
