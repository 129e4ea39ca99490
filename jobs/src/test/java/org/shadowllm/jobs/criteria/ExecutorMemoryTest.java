package org.shadowllm.jobs.criteria;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;

class ExecutorMemoryTest {
    static final DecoderConfig OPT_1_3B = DecoderConfig.builder(ModelFamily.OPT)
            .shape(50272, 2048, 24, 32, 8192)
            .maxPositions(2048)
            .wordEmbedProjDim(2048)
            .norms(true, true)
            .biases(true)
            .tieWordEmbeddings(true)
            .specialTokens(2, 2, 1)
            .build();
    static final Set<ImportanceCriterion> ALL = EnumSet.allOf(ImportanceCriterion.class);
    static final long GIB = 1L << 30;

    /** Independent count: OPT-1.3B has 1,315,758,080 parameters (Hugging Face's model card). */
    @Test
    void weightsAndGraspFollowFromTheShape() {
        ExecutorMemory m = ExecutorMemory.of(OPT_1_3B, ALL, 2, 600);
        assertEquals(4L * 1_315_758_080L, m.weightBytes());
        assertEquals(3L * 4 * 24 * 8192 * 2048, m.graspBytes());
        assertEquals(
                0,
                ExecutorMemory.of(OPT_1_3B, EnumSet.of(ImportanceCriterion.PLAINACT), 2, 600)
                        .graspBytes());
        assertTrue(
                m.activationBytes() > ExecutorMemory.of(OPT_1_3B, ALL, 1, 600).activationBytes());
        assertEquals(
                RandomCheckpoint.layout(OPT_1_3B).stream()
                        .mapToLong(e -> e.spec().numel())
                        .sum(),
                m.weightBytes() / 4);
    }

    /**
     * Independent count: Llama-2-7B has 6,738,415,616 parameters (untied head, vocabulary 32000); grasp's arrays
     * are the size of its neurons' input weights, gate and up rows: {@code 32 × 11008 × 2·4096}.
     */
    @Test
    void aLlamaShapeCountsItsGateAndUpRows() {
        DecoderConfig llama7b = DecoderConfig.builder(ModelFamily.LLAMA)
                .shape(32000, 4096, 32, 32, 11008)
                .maxPositions(4096)
                .specialTokens(1, 2, 0)
                .build();
        ExecutorMemory m = ExecutorMemory.of(llama7b, ALL, 1, 600);
        assertEquals(4L * 6_738_415_616L, m.weightBytes());
        assertEquals(3L * 4 * 32 * 11008 * 2 * 4096, m.graspBytes());
    }

    @Test
    void aRunThatCannotFitIsRefusedNamingGraspTheBatchAndTheHeap() {
        ExecutorMemory m = ExecutorMemory.of(OPT_1_3B, ALL, 2, 600);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> m.require(6 * GIB, 12 * GIB, ALL, true));
        assertTrue(e.getMessage().startsWith("not enough memory"), e.getMessage());
        assertTrue(e.getMessage().contains("Leave grasp out"), e.getMessage());
        assertTrue(e.getMessage().contains("--criteria l2norm,gradnorm,plainact,fisher,snip,nwot"), e.getMessage());
        assertTrue(e.getMessage().contains("--batch-size"), e.getMessage());
        String tight = m.require(6 * GIB, 20 * GIB, ALL, true);
        assertTrue(tight.startsWith("memory may be short"), tight);
        assertTrue(m.require(6 * GIB, 64 * GIB, ALL, true).startsWith("this run needs"));
        assertTrue(m.require(6 * GIB, 12 * GIB, ALL, false).contains("spark.executor.memoryOverhead"));
    }
}
