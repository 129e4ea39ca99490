package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;

/** Continuation log-likelihoods without gradients, and windowed perplexity. */
public final class LoglikelihoodScorer {
    private final DecoderModel model;

    public LoglikelihoodScorer(DecoderModel model) {
        this.model = model;
    }

    /** Sum of continuation-token log-probabilities of each example, in one padded batch. */
    public double[] sumLogprobs(List<ScoredExample> examples, LayerTap tap) {
        try (DecoderModel.Exclusive held = model.exclusive();
                NDManager scope = model.weights().manager().newSubManager();
                Autograd p = Autograd.pause()) {
            TokenBatch batch = new TokenBatch(examples, model.config(), scope, model.dataType());
            NDArray hidden = model.forward(scope, batch.inputIds, tap, null);
            double[] lp = Tensors.doubles(batch.targetLogprobs(model, scope, hidden));
            double[] out = new double[examples.size()];
            for (int b = 0; b < out.length; b++) {
                for (int i = batch.targetStart[b]; i < batch.targetStart[b + 1]; i++) {
                    out[b] += lp[i];
                }
            }
            return out;
        }
    }

    /**
     * Perplexity over non-overlapping windows of {@code window} model inputs. With
     * {@code bosPerWindow}, each window is BOS plus {@code window − 1} text tokens and every text
     * token is scored; otherwise each window holds {@code window} text tokens and its first is context.
     */
    public double perplexity(int[] tokenIds, int window, boolean bosPerWindow, int batchSize) {
        int text = bosPerWindow ? window - 1 : window;
        if (text < 1 || tokenIds.length == 0) {
            throw new IllegalArgumentException(
                    "perplexity needs a window of at least " + (bosPerWindow ? 2 : 1) + " and some tokens");
        }
        List<ScoredExample> windows = new ArrayList<>();
        for (int start = 0; start < tokenIds.length; start += text) {
            int end = Math.min(tokenIds.length, start + text);
            int[] w;
            if (bosPerWindow) {
                w = new int[end - start + 1];
                w[0] = model.config().bosTokenId();
                System.arraycopy(tokenIds, start, w, 1, end - start);
            } else {
                if (end - start < 2) {
                    break;
                }
                w = java.util.Arrays.copyOfRange(tokenIds, start, end);
            }
            windows.add(new ScoredExample("window-" + windows.size(), w, w.length - 1));
        }
        double nll = 0;
        long count = 0;
        for (int i = 0; i < windows.size(); i += batchSize) {
            List<ScoredExample> chunk = windows.subList(i, Math.min(windows.size(), i + batchSize));
            double[] sums = sumLogprobs(chunk, LayerTap.NONE);
            for (int j = 0; j < sums.length; j++) {
                nll -= sums[j];
                count += chunk.get(j).continuationLength();
            }
        }
        return Math.exp(nll / count);
    }
}
