package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.SharedPaths;

/** The decode engine reads a PyTorch .bin model folder (single or sharded) to the same weights as its safetensors twin. */
class EngineWeightsFormatsTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-random-opt-bin", "tiny-random-opt-sharded-bin"})
    void binFolderLoadsTheSameEngineWeightsAsSafetensors(String model) {
        EngineWeights st = EngineWeights.load(SharedPaths.model("tiny-random-opt"), WeightFormat.FP32);
        EngineWeights bin = EngineWeights.load(
                SharedPaths.require(SharedPaths.model(model), "shared model " + model), WeightFormat.FP32);
        assertEquals(st.config(), bin.config());
        assertRows(st.embed(), bin.embed(), "embed");
        assertRows(st.lmHead(), bin.lmHead(), "lm_head");
        assertArrayEquals(st.positions(), bin.positions(), "positions");
        assertArrayEquals(st.finalNorm().weight(), bin.finalNorm().weight(), "final norm");
        assertArrayEquals(st.finalNorm().bias(), bin.finalNorm().bias(), "final norm bias");
        assertEquals(st.layers().size(), bin.layers().size());
        for (int l = 0; l < st.layers().size(); l++) {
            EngineWeights.Layer a = st.layers().get(l);
            EngineWeights.Layer b = bin.layers().get(l);
            assertRows(a.qkv().rows(), b.qkv().rows(), "qkv " + l);
            assertRows(a.outT(), b.outT(), "out " + l);
            assertRows(a.neuronIn().rows(), b.neuronIn().rows(), "fc1 " + l);
            assertRows(a.neuronOutT(), b.neuronOutT(), "fc2 " + l);
            assertArrayEquals(a.qkv().bias(), b.qkv().bias(), "qkv bias " + l);
            assertArrayEquals(a.neuronIn().bias(), b.neuronIn().bias(), "fc1 bias " + l);
            assertArrayEquals(a.outBias(), b.outBias(), "out bias " + l);
            assertArrayEquals(a.neuronOutBias(), b.neuronOutBias(), "fc2 bias " + l);
            assertArrayEquals(a.attnNorm().weight(), b.attnNorm().weight(), "attn norm " + l);
            assertArrayEquals(a.attnNorm().bias(), b.attnNorm().bias(), "attn norm bias " + l);
        }
    }

    private static void assertRows(RowMatrix a, RowMatrix b, String what) {
        assertEquals(a.rows(), b.rows(), what);
        assertEquals(a.cols(), b.cols(), what);
        float[] ra = new float[a.cols()];
        float[] rb = new float[b.cols()];
        for (int r = 0; r < a.rows(); r++) {
            a.copyRow(r, ra, 0);
            b.copyRow(r, rb, 0);
            assertArrayEquals(ra, rb, what + " row " + r);
        }
    }
}
