package org.shadowllm.common.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.model.DecoderConfig;

class PredictorArtifactsTest {
    static final PredictorShape SHAPE = new PredictorShape(2, 3, 10, 8);

    /** A random predictor whose first weights are -0.0 and the smallest subnormal, values a lossy format would change. */
    static UnitPredictor random(PredictorKind kind, PredictorShape shape, int hidden, long seed) {
        UnitPredictor p = RandomPredictors.of(kind, shape, hidden, seed);
        for (NetworkWeights n : p.networks()) {
            n.w1()[0] = -0.0f;
            n.w2()[1] = Float.MIN_VALUE;
        }
        return p;
    }

    @Test
    void saveThenLoadRoundTripsEveryWeightBitForBitAndTheManifest(@TempDir Path dir) {
        for (PredictorKind kind : PredictorKind.values()) {
            UnitPredictor p = random(kind, SHAPE, 7, kind.ordinal());
            Path at = dir.resolve(kind.key());
            PredictorArtifacts.save(p, at);
            UnitPredictor back = PredictorArtifacts.load(at);
            assertEquals(p.manifest(), back.manifest());
            assertEquals(p.networks().size(), back.networks().size());
            for (int i = 0; i < p.networks().size(); i++) {
                NetworkWeights a = p.networks().get(i);
                NetworkWeights b = back.networks().get(i);
                assertEquals(a.spec(), b.spec());
                assertBits(a.w1(), b.w1());
                assertBits(a.w2(), b.w2());
                if (a.spec().bias()) {
                    assertBits(a.b1(), b.b1());
                    assertBits(a.b2(), b.b2());
                }
            }
        }
    }

    private static void assertBits(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "index " + i);
        }
    }

    @Test
    void savingAgainReplacesTheArtifactAndLeavesNoStagingBehind(@TempDir Path dir) throws Exception {
        Path at = dir.resolve("p");
        PredictorArtifacts.save(random(PredictorKind.SHADOWLLM, SHAPE, 5, 1), at);
        UnitPredictor second = random(PredictorKind.SHADOWLLM, SHAPE, 5, 2);
        PredictorArtifacts.save(second, at);
        assertArrayEquals(
                second.networks().get(0).w2(),
                PredictorArtifacts.load(at).networks().get(0).w2());
        try (var s = Files.list(dir)) {
            assertEquals(List.of("p"), s.map(f -> f.getFileName().toString()).toList());
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "killed at {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"staged", "old-moved-aside", "new-in-place"})
    void aSaveKilledAtAnyCommitPointLeavesTheWholeOldOrTheWholeNewArtifact(String point, @TempDir Path dir)
            throws Exception {
        Path at = dir.resolve("p");
        UnitPredictor first = random(PredictorKind.SHADOWLLM, SHAPE, 5, 1);
        UnitPredictor second = random(PredictorKind.SHADOWLLM, SHAPE, 5, 2);
        PredictorArtifacts.save(first, at);
        PredictorArtifacts.faults = p -> {
            if (p.equals(point)) {
                throw new java.io.IOException("killed at " + p);
            }
        };
        try {
            assertThrows(java.io.UncheckedIOException.class, () -> PredictorArtifacts.save(second, at));
        } finally {
            PredictorArtifacts.faults = p -> {};
        }
        // the next start (a save, or the bench before it loads) restores what the kill left aside
        PredictorArtifacts.recoverInterruptedSave(at);
        float[] seen = PredictorArtifacts.load(at).networks().get(0).w2();
        UnitPredictor expected = point.equals("new-in-place") ? second : first;
        assertArrayEquals(expected.networks().get(0).w2(), seen);
        PredictorArtifacts.save(second, at);
        try (var s = Files.list(dir)) {
            assertEquals(List.of("p"), s.map(f -> f.getFileName().toString()).toList(), "nothing left behind");
        }
    }

    @Test
    void loadingForAModelOfAnotherShapeIsRefusedWithBothShapes(@TempDir Path dir) {
        PredictorArtifacts.save(random(PredictorKind.DEJAVU, SHAPE, 5, 1), dir.resolve("p"));
        DecoderConfig other = DecoderConfig.of(100, 8, 2, 2, 10, 32);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> PredictorArtifacts.load(dir.resolve("p"), other, "other-model"));
        assertTrue(
                e.getMessage().contains("3 heads") && e.getMessage().contains("other-model has 2 layers, 2 heads"),
                e.getMessage());
    }

    /** Features are read with one width per layer: heads narrower than the stream are refused, naming both. */
    @Test
    void aModelWhoseHeadsAreNotAsWideAsItsStreamIsRefusedNamingBothWidths() {
        DecoderConfig narrowHeads = DecoderConfig.builder(org.shadowllm.common.model.ModelFamily.LLAMA)
                .shape(100, 96, 2, 6, 200)
                .headDim(12)
                .kvHeads(2)
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PredictorShape.of(narrowHeads));
        assertTrue(e.getMessage().contains("6 heads of 12 (72) and hidden size 96"), e.getMessage());
        DecoderConfig gqa = narrowHeads.toBuilder().headDim(16).build();
        assertEquals(new PredictorShape(2, 6, 200, 96), PredictorShape.of(gqa));
    }

    @Test
    void aTruncatedOrTamperedArtifactIsRejectedClearly(@TempDir Path dir) throws Exception {
        Path at = dir.resolve("p");
        PredictorArtifacts.save(random(PredictorKind.SHADOWLLM, SHAPE, 5, 1), at);
        String manifest = Files.readString(at.resolve(PredictorArtifacts.MANIFEST));
        Files.writeString(at.resolve(PredictorArtifacts.MANIFEST), manifest.replace("\"hidden\": 5", "\"hidden\": 6"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PredictorArtifacts.load(at));
        assertTrue(e.getMessage().contains("has shape"), e.getMessage());
        Files.delete(at.resolve(PredictorArtifacts.WEIGHTS));
        e = assertThrows(IllegalArgumentException.class, () -> PredictorArtifacts.load(at));
        assertTrue(e.getMessage().contains("not a predictor artifact"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("p.staging")));
    }

    @Test
    void shadowllmNeedsFewerMultiplyAccumulatesThanTheInflatedDejavuAtOpt125mShape() {
        PredictorShape opt125m = new PredictorShape(12, 12, 3072, 768);
        long shadow = PredictorKind.SHADOWLLM.macsPerPrediction(opt125m, 2048);
        long inflated = PredictorKind.DEJAVU_INFLATED.macsPerPrediction(opt125m, 2048);
        long dejavu = PredictorKind.DEJAVU.macsPerPrediction(opt125m, 1000);
        // by hand: 768·2048 + 2048·12·3084; 12·(768·2048 + 2048·3084); 12·(2·768·1000 + 1000·12 + 1000·3072)
        assertEquals(768L * 2048 + 2048L * 12 * 3084, shadow);
        assertEquals(12L * (768 * 2048 + 2048 * 3084), inflated);
        assertEquals(12L * (2 * 768 * 1000 + 1000 * 12 + 1000 * 3072), dejavu);
    }
}
