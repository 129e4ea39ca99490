package org.shadowllm.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/** AdamW with PyTorch's update rule (decoupled weight decay, bias-corrected moments). */
interface AdamW extends AutoCloseable {
    /** The fused Java step for CPU parameters, NDArray operations on a GPU. */
    static AdamW of(NDManager parent, List<NDArray> params, TrainingOptions options) {
        boolean gpu = params.stream().anyMatch(p -> p.getDevice().isGpu());
        return gpu ? new TensorAdamW(parent, params, options) : new FusedAdamW(params, options);
    }

    /** One update at learning rate {@code lr} from the accumulated gradients, which it then zeroes. */
    void step(double lr);

    @Override
    void close();
}
