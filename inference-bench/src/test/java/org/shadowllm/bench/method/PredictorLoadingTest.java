package org.shadowllm.bench.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.common.predictor.UnitPredictor;

class PredictorLoadingTest {
    private static final DecoderConfig TINY = ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt"));

    @Test
    void aPredictorForTheModelsShapeLoads(@TempDir Path dir) {
        PredictorArtifacts.save(
                RandomPredictors.of(PredictorKind.SHADOWLLM, PredictorShape.of(TINY), 16, 1), dir.resolve("p"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                PredictorRuntime r =
                        PredictorRuntime.load(dir.resolve("p"), TINY, "tiny-random-opt", PredictorKind.SHADOWLLM, m)) {
            assertEquals(PredictorShape.of(TINY), r.shape());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0}, r.networksFor(3));
        }
    }

    @Test
    void aPredictorTrainedForAnotherModelsShapeIsRefusedNamingBothShapes(@TempDir Path dir) {
        PredictorShape other =
                new PredictorShape(TINY.numLayers(), TINY.numHeads(), TINY.ffnDim() * 2, TINY.hiddenSize());
        PredictorArtifacts.save(RandomPredictors.of(PredictorKind.DEJAVU, other, 16, 1), dir.resolve("p"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> PredictorRuntime.load(dir.resolve("p"), TINY, "tiny-random-opt", PredictorKind.DEJAVU, m));
            assertTrue(
                    e.getMessage().contains("1024 FFN neurons")
                            && e.getMessage().contains("tiny-random-opt has 4 layers, 4 heads, 512 FFN"),
                    e.getMessage());
        }
    }

    @Test
    void aPredictorOfAnotherKindIsRefused(@TempDir Path dir) {
        PredictorArtifacts.save(
                RandomPredictors.of(PredictorKind.DEJAVU, PredictorShape.of(TINY), 16, 1), dir.resolve("p"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> PredictorRuntime.load(dir.resolve("p"), TINY, "tiny-random-opt", PredictorKind.SHADOWLLM, m));
            assertTrue(
                    e.getMessage().contains("holds a dejavu predictor; this method needs shadowllm"), e.getMessage());
        }
    }
    /** A set at a precision loads each predictor's weights rounded to it; fp32 loads them as stored. */
    @Test
    void aPredictorSetAtAPrecisionLoadsTheRoundTrippedWeights(@TempDir Path dir) {
        UnitPredictor stored = RandomPredictors.of(PredictorKind.DEJAVU, PredictorShape.of(TINY), 16, 1);
        PredictorArtifacts.save(stored, dir.resolve("p"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (PredictorPrecision precision : PredictorPrecision.values()) {
                PredictorSet plain = new PredictorSet(
                        m,
                        new PredictorSet.Target(TINY, "tiny-random-opt", null),
                        (kind, criterion) -> dir.resolve("p").toString(),
                        d -> new PredictorSet.Folder(Path.of(d), () -> {}),
                        new PredictorSet.Provenance(null, Map.of()),
                        message -> {});
                assertEquals(PredictorPrecision.FP32, plain.precision());
                try (PredictorSet set = plain.at(precision)) {
                    assertEquals(precision, set.precision());
                    UnitPredictor loaded = set.get(PredictorKind.DEJAVU, ImportanceCriterion.PLAINACT)
                            .predictor();
                    int changed = 0;
                    for (int n = 0; n < stored.networks().size(); n++) {
                        NetworkWeights expected =
                                precision.roundTrip(stored.networks().get(n));
                        NetworkWeights actual = loaded.networks().get(n);
                        assertArrayEquals(expected.w1(), actual.w1(), precision + " network " + n + " w1");
                        assertArrayEquals(expected.w2(), actual.w2(), precision + " network " + n + " w2");
                        changed +=
                                java.util.Arrays.equals(stored.networks().get(n).w1(), actual.w1()) ? 0 : 1;
                    }
                    assertEquals(precision == PredictorPrecision.FP32, changed == 0, precision + " changes weights");
                    assertThrows(IllegalStateException.class, () -> set.at(PredictorPrecision.INT8));
                }
            }
        }
    }
}
