package org.shadowllm.trainer.train;

import java.util.List;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;

/**
 * What training produced, before evaluation: the networks, and how training went.
 *
 * @param secondsPerEpoch wall time of one epoch over all networks
 * @param finalLoss       mean training loss of the last epoch, averaged over networks
 */
public record TrainedPredictor(
        PredictorKind kind,
        PredictorShape shape,
        List<NetworkWeights> networks,
        double secondsPerEpoch,
        double finalLoss) {
    public TrainedPredictor {
        networks = List.copyOf(networks);
    }
}
