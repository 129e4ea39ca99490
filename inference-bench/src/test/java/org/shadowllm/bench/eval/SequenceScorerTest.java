package org.shadowllm.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderModel;

class SequenceScorerTest {
    @Test
    void densePerplexityOverGoldenWindowsMatchesTransformers() throws Exception {
        JsonObject golden = JsonParser.parseString(
                        Files.readString(SharedPaths.root().resolve("golden/tiny-random-opt/golden.json")))
                .getAsJsonObject();
        JsonObject p = golden.getAsJsonObject("perplexity");
        JsonArray ids = p.getAsJsonArray("token_ids");
        int window = p.get("window").getAsInt();
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(SharedPaths.model("tiny-random-opt"), m, Device.cpu());
                SparseDecoderModel sparse = new SparseDecoderModel(model)) {
            int text = window - 1;
            double nll = 0;
            long count = 0;
            for (int start = 0; start < ids.size(); start += text) {
                int end = Math.min(ids.size(), start + text);
                int[] seq = new int[end - start + 1];
                seq[0] = model.config().bosTokenId();
                for (int i = start; i < end; i++) {
                    seq[i - start + 1] = ids.get(i).getAsInt();
                }
                nll -= SequenceScorer.sumLogprobs(m, sparse, seq, seq.length - 1, LayerPlanner.DENSE);
                count += seq.length - 1;
            }
            double ppl = Math.exp(nll / count);
            assertEquals(p.get("ppl").getAsDouble(), ppl, 1e-4 * ppl);
        }
    }

    @Test
    void aTokenOutsideTheModelsVocabularyIsRefusedWithItsPosition() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(SharedPaths.model("tiny-random-opt"), m, Device.cpu());
                SparseDecoderModel sparse = new SparseDecoderModel(model)) {
            int vocab = model.config().vocabSize();
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> SequenceScorer.sumLogprobs(m, sparse, new int[] {2, 5, vocab}, 2, LayerPlanner.DENSE));
            org.junit.jupiter.api.Assertions.assertTrue(
                    e.getMessage().contains("token id " + vocab + " at position 2"), e.getMessage());
        }
    }
}
