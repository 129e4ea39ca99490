package org.shadowllm.jobs.bench;

import java.nio.file.Path;
import org.shadowllm.bench.method.PredictorSet;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;

/**
 * The model a bench run measures: its folder, its name (which names partitions and predictor folders),
 * its checkpoint's fingerprint, its shape and its tokenizer.
 */
record BenchModel(Path dir, String name, String fingerprint, DecoderConfig config, Tokenizer tokenizer) {

    /** Reads the model folder {@code model}; a missing folder fails naming it. */
    static BenchModel open(String model) {
        Path dir = SharedPaths.require(Path.of(model), "model directory");
        DecoderConfig config = ModelCheckpoint.readConfig(dir);
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        String fingerprint = ModelFingerprint.of(dir);
        return new BenchModel(dir, name, fingerprint, config, TokenizerLoader.load(dir, config.bosTokenId()));
    }

    /** What a predictor must have been trained for. */
    PredictorSet.Target target() {
        return new PredictorSet.Target(config, name, fingerprint);
    }

    /** Its folder and shape, for the report. */
    String describe() {
        return dir.toAbsolutePath() + " (" + config.numLayers() + " layers, " + config.numHeads() + " heads, FFN "
                + config.ffnDim() + ", hidden " + config.hiddenSize() + ")";
    }
}
