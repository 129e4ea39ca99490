package org.shadowllm.jobs.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.model.DecoderModel;

/**
 * One loaded model per (checkpoint fingerprint, device) per JVM, shared by every Spark task on the executor.
 * Passes on a model are serialized ({@link DecoderModel#exclusive()}), so PyTorch gets all the executor's
 * cores for its intra-op threads.
 */
public final class ExecutorModels {
    private static final Map<String, DecoderModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static NDManager root;

    private ExecutorModels() {}

    /**
     * The JVM's model for this directory and device, loaded on first use. {@code threads} > 0 sets
     * PyTorch's CPU threads; it changes only while the model is held, since changing it during a pass
     * is unsafe. 0 keeps the current setting.
     */
    public static DecoderModel get(String modelDir, String fingerprint, Device device, int threads) {
        DecoderModel model = MODELS.computeIfAbsent(fingerprint + "@" + device, k -> {
            synchronized (ExecutorModels.class) {
                String local = ModelFingerprint.of(Path.of(modelDir));
                if (!local.equals(fingerprint)) {
                    throw new IllegalStateException("the model at " + modelDir + " on this executor has fingerprint "
                            + local + ", the driver's has " + fingerprint + ": the executors hold another checkpoint");
                }
                if (root == null) {
                    root = NDManager.newBaseManager();
                }
                LOADS.incrementAndGet();
                return ModelCheckpoint.load(Path.of(modelDir), root, device);
            }
        });
        if (threads > 0 && JniUtils.getNumThreads() != threads) {
            try (DecoderModel.Exclusive held = model.exclusive()) {
                JniUtils.setNumThreads(threads);
            }
        }
        return model;
    }

    /** How many times this JVM loaded a model (tests check it stays at one per model). */
    public static int loads() {
        return LOADS.get();
    }
}
