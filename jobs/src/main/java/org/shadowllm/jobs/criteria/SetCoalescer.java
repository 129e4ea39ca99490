package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.Partition;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import scala.Option;

/**
 * Groups consecutive partitions into one per set, keeping their order: partitions 0..n₀−1 form set
 * 0's group, the next n₁ set 1's, and so on. A coalesced partition reads its parents in that order.
 */
final class SetCoalescer implements PartitionCoalescer, Serializable {
    private static final long serialVersionUID = 1L;
    private final List<Integer> partitionsPerSet;

    SetCoalescer(List<Integer> partitionsPerSet) {
        this.partitionsPerSet = List.copyOf(partitionsPerSet);
    }

    @Override
    public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
        Partition[] parts = parent.partitions();
        int total = partitionsPerSet.stream().mapToInt(Integer::intValue).sum();
        if (total != parts.length) {
            throw new IllegalStateException("expected " + total + " chunk partitions for " + partitionsPerSet.size()
                    + " sets, found " + parts.length);
        }
        PartitionGroup[] groups = new PartitionGroup[partitionsPerSet.size()];
        int p = 0;
        for (int s = 0; s < groups.length; s++) {
            groups[s] = new PartitionGroup(Option.empty());
            for (int k = 0; k < partitionsPerSet.get(s); k++) {
                groups[s].partitions().addOne(parts[p++]);
            }
        }
        return groups;
    }
}
