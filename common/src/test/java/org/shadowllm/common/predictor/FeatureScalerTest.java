package org.shadowllm.common.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FeatureScalerTest {
    @Test
    void aLayersFeatureIsScaledToTheUnitIntervalByItsOwnMinAndMax() {
        float[] layerMajor = {9, 9, 9, -2, 0, 6};
        assertArrayEquals(new float[] {0, 0.25f, 1}, FeatureScaler.scaledLayer(layerMajor, 1, 3));
        assertArrayEquals(new float[] {0, 0, 0}, FeatureScaler.scaledLayer(layerMajor, 0, 3), "constant: zeros");
    }

    @Test
    void aNonFiniteFeatureIsRefusedWithItsIndex() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> FeatureScaler.scaleInPlace(new float[] {1, 2, bad, 4}, 1, 3));
            assertTrue(e.getMessage().contains("at index 1 of 3"), e.getMessage());
        }
    }
}
