package org.shadowllm.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArraySizesTest {
    @Test
    void sizesPastTheJavaArrayLimitAreRefusedNamingTheArrayInsteadOfOverflowing() {
        assertEquals(10_900 * 2048, ArraySizes.of(10_900, 2048, "inputs"));
        // OPT-1.3B's neurons: 24 layers × 8192 = 196,608 outputs; 10,923 rows overflow an int product
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ArraySizes.of(10_923, 196_608, "targets of x"));
        assertTrue(e.getMessage().startsWith("targets of x: 10923 × 196608 = 2147549184 values"), e.getMessage());
        // the joint ShadowLLM of OPT-30B: 48 × (56 + 28672) outputs × hidden 2048
        assertThrows(IllegalArgumentException.class, () -> ArraySizes.of(48L * (56 + 28672), 2048, "w2"));
    }
}
