package org.shadowllm.common.model;

import static org.shadowllm.common.Tolerance.assertClose;
import static org.shadowllm.common.Tolerance.widen;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.Golden;
import org.shadowllm.common.checkpoint.ModelCheckpoint;

class KvCacheDecodingTest {
    @Test
    void tokenByTokenDecodingWithCacheEqualsFullForward() {
        long[] ids = {50256, 464, 582, 6265, 465, 21189, 780, 339, 5710, 257, 15554, 319, 465, 2366};
        int prefill = 5;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(Golden.modelDir(), manager, Device.cpu());
                NDManager scope = manager.newSubManager();
                KvCache cache = new KvCache(manager, model.config().numLayers())) {
            NDArray all = scope.create(ids, new Shape(1, ids.length));
            float[] full = model.logits(scope, model.forward(scope, all, LayerTap.NONE, null))
                    .toFloatArray();
            int v = model.config().vocabSize();
            NDArray first = model.logits(
                    scope, model.forward(scope, all.get(new NDIndex(":, :" + prefill)), LayerTap.NONE, cache));
            float[] step = first.toFloatArray();
            assertClose("prefill logits", widen(java.util.Arrays.copyOfRange(full, 0, prefill * v)), step, 1e-4, 1e-5);
            for (int t = prefill; t < ids.length; t++) {
                NDArray one = all.get(new NDIndex(":, " + t + ":" + (t + 1)));
                float[] logits = model.logits(scope, model.forward(scope, one, LayerTap.NONE, cache))
                        .toFloatArray();
                assertClose(
                        "logits at position " + t,
                        widen(java.util.Arrays.copyOfRange(full, t * v, (t + 1) * v)),
                        logits,
                        1e-4,
                        1e-5);
            }
            org.junit.jupiter.api.Assertions.assertEquals(ids.length, cache.length());
        }
    }
}
