package org.shadowllm.common.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.shadowllm.common.pytorch.TorchBinCheckpoint;
import org.shadowllm.common.safetensors.SafetensorsCheckpoint;
import org.shadowllm.common.safetensors.SafetensorsDtype;

/**
 * The weights of a Hugging Face model folder, whichever of the four layouts it ships:
 * {@code model.safetensors}, sharded safetensors ({@code model.safetensors.index.json}),
 * {@code pytorch_model.bin} or sharded {@code .bin} ({@code pytorch_model.bin.index.json}). Safetensors
 * wins when a folder holds both, as in Hugging Face's loader. Every model loader opens folders here.
 */
public interface Checkpoint extends TensorSource, AutoCloseable {
    /** The files looked for, in order of preference. */
    List<String> WEIGHT_FILES = List.of(
            SafetensorsCheckpoint.SINGLE_FILE,
            SafetensorsCheckpoint.INDEX_FILE,
            TorchBinCheckpoint.SINGLE_FILE,
            TorchBinCheckpoint.INDEX_FILE);

    /** Tensor names, in the checkpoint's order. */
    Set<String> names();

    /** The element type the tensor is stored in ({@link #read} widens floating-point types to float). */
    SafetensorsDtype dtype(String name);

    @Override
    void close();

    static Checkpoint open(Path directory) {
        if (isSafetensors(directory)) {
            return safetensors(SafetensorsCheckpoint.open(directory));
        }
        if (TorchBinCheckpoint.present(directory)) {
            return torchBin(TorchBinCheckpoint.open(directory));
        }
        throw noWeights(directory);
    }

    /** The checkpoint's weight files, in name order, as {@link #open} would read them. */
    static List<Path> files(Path directory) {
        if (isSafetensors(directory)) {
            return SafetensorsCheckpoint.files(directory);
        }
        if (TorchBinCheckpoint.present(directory)) {
            return TorchBinCheckpoint.files(directory);
        }
        throw noWeights(directory);
    }

    private static boolean isSafetensors(Path directory) {
        return Files.isRegularFile(directory.resolve(SafetensorsCheckpoint.SINGLE_FILE))
                || Files.isRegularFile(directory.resolve(SafetensorsCheckpoint.INDEX_FILE));
    }

    private static IllegalArgumentException noWeights(Path directory) {
        return new IllegalArgumentException(
                directory + ": no model weights (looked for " + String.join(", ", WEIGHT_FILES) + ")");
    }

    private static Checkpoint safetensors(SafetensorsCheckpoint ckpt) {
        return new Checkpoint() {
            @Override
            public Set<String> names() {
                return ckpt.names();
            }

            @Override
            public SafetensorsDtype dtype(String name) {
                return ckpt.info(name).dtype();
            }

            @Override
            public boolean contains(String name) {
                return ckpt.contains(name);
            }

            @Override
            public long[] shape(String name) {
                return ckpt.info(name).shape();
            }

            @Override
            public float[] read(String name) {
                return ckpt.readFloats(name);
            }

            @Override
            public String where() {
                return ckpt.directory().toString();
            }

            @Override
            public void close() {
                ckpt.close();
            }
        };
    }

    private static Checkpoint torchBin(TorchBinCheckpoint ckpt) {
        return new Checkpoint() {
            @Override
            public Set<String> names() {
                return ckpt.names();
            }

            @Override
            public SafetensorsDtype dtype(String name) {
                return ckpt.dtype(name);
            }

            @Override
            public boolean contains(String name) {
                return ckpt.contains(name);
            }

            @Override
            public long[] shape(String name) {
                return ckpt.shape(name);
            }

            @Override
            public float[] read(String name) {
                return ckpt.readFloats(name);
            }

            @Override
            public String where() {
                return ckpt.directory().toString();
            }

            @Override
            public void close() {
                ckpt.close();
            }
        };
    }
}
