package org.shadowllm.common.predictor;

import java.util.List;
import java.util.Map;

/**
 * Provenance of a trained predictor, stored beside its weights as {@code manifest.json}.
 *
 * @param training   the training options, as given
 * @param metrics    held-out metrics, by name
 * @param inputTable what the predictor was trained from
 */
public record PredictorManifest(
        int formatVersion,
        PredictorKind kind,
        String model,
        PredictorShape shape,
        String criterion,
        List<String> tasks,
        List<Integer> shots,
        long splitSeed,
        double heldOutFraction,
        int trainExamples,
        int heldOutExamples,
        Map<String, String> training,
        Map<String, Double> metrics,
        String codeVersion,
        InputTable inputTable,
        String createdAt,
        List<NetworkSpec> networks) {

    public static final int FORMAT_VERSION = 1;

    public PredictorManifest {
        if (kind == null || shape == null || model == null || criterion == null || networks == null) {
            throw new IllegalArgumentException("manifest needs kind, model, shape, criterion and networks");
        }
        tasks = List.copyOf(tasks);
        shots = List.copyOf(shots);
        training = Map.copyOf(training);
        metrics = Map.copyOf(metrics);
        networks = List.copyOf(networks);
    }

    /**
     * The criteria table a predictor was trained from: its location, the runs in it, how many rows were
     * read, the token position of the features (null in manifests written before it was recorded:
     * the last input token), and the fingerprint of the checkpoint its rows came from (null before
     * fingerprints, and for random predictors).
     */
    public record InputTable(
            String path,
            List<String> runIds,
            long rows,
            List<String> codeVersions,
            FeaturePosition featurePosition,
            String modelFingerprint) {
        public InputTable {
            runIds = List.copyOf(runIds);
            codeVersions = List.copyOf(codeVersions);
        }
    }

    public PredictorManifest withMetrics(Map<String, Double> newMetrics) {
        return new PredictorManifest(
                formatVersion,
                kind,
                model,
                shape,
                criterion,
                tasks,
                shots,
                splitSeed,
                heldOutFraction,
                trainExamples,
                heldOutExamples,
                training,
                newMetrics,
                codeVersion,
                inputTable,
                createdAt,
                networks);
    }
}
