package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.Partitioner;

/** A chunk's place: its set and its first example. */
record ChunkKey(String set, int first) implements Serializable {

    /** One partition per set. */
    static final class BySet extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final List<String> sets;

        BySet(List<String> sets) {
            this.sets = List.copyOf(sets);
        }

        @Override
        public int numPartitions() {
            return Math.max(1, sets.size());
        }

        @Override
        public int getPartition(Object key) {
            int i = sets.indexOf(((ChunkKey) key).set());
            if (i < 0) {
                throw new IllegalArgumentException("chunk of unknown set " + key);
            }
            return i;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BySet b && b.sets.equals(sets);
        }

        @Override
        public int hashCode() {
            return sets.hashCode();
        }
    }

    /** Set, then first example. */
    static final class InSetOrder implements Comparator<ChunkKey>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(ChunkKey a, ChunkKey b) {
            int c = a.set().compareTo(b.set());
            return c != 0 ? c : Integer.compare(a.first(), b.first());
        }
    }
}
