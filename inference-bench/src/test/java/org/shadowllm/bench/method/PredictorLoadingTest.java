package org.shadowllm.bench.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;

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
}
