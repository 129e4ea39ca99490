package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * All parameters of an OPT decoder, owned by one manager. {@code projectIn}/{@code projectOut} and
 * {@code finalNorm*} are null where the config has none; {@code lmHead} may be the token embedding.
 */
public record DecoderWeights(
        NDManager manager,
        NDArray tokenEmbedding,
        NDArray positionEmbedding,
        NDArray projectIn,
        NDArray projectOut,
        NDArray finalNormWeight,
        NDArray finalNormBias,
        NDArray lmHead,
        List<LayerWeights> layers)
        implements AutoCloseable {

    public DecoderWeights {
        layers = List.copyOf(layers);
    }

    @Override
    public void close() {
        manager.close();
    }
}
