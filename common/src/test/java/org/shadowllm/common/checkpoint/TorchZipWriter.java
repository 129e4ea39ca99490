package org.shadowllm.common.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.shadowllm.common.pytorch.TorchBinWriter;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * Writes checkpoints in {@code torch.save}'s zip layout for tests that need one the fixtures are not: a
 * protocol-2 pickle of an {@code OrderedDict} of {@code _rebuild_tensor_v2} views over float32 storages,
 * one stored entry per storage. Also writes hand-made pickles, to check what the reader refuses.
 */
final class TorchZipWriter {
    private TorchZipWriter() {}

    /** A {@code .bin} of {@code tensors} (fp32, contiguous), entries under {@code <top>/}. */
    static void write(Path file, String top, Map<String, Tensor> tensors) throws IOException {
        Path named = file.resolveSibling(top + ".bin");
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        tensors.forEach((name, t) -> specs.add(new SafetensorsWriter.Spec(name, t.shape())));
        TorchBinWriter.write(
                named, specs, SafetensorsDtype.F32, s -> tensors.get(s.name()).values());
        if (!named.equals(file)) {
            Files.move(named, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A zip with {@code <top>/data.pkl}, {@code <top>/data/<key>} and {@code <top>/version}. */
    static void writeZip(Path file, String top, byte[] pickle, Map<String, byte[]> storages, boolean compress)
            throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            entry(zip, top + "/data.pkl", pickle, compress);
            for (Map.Entry<String, byte[]> s : storages.entrySet()) {
                entry(zip, top + "/data/" + s.getKey(), s.getValue(), compress);
            }
            entry(zip, top + "/version", "3\n".getBytes(StandardCharsets.US_ASCII), compress);
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data, boolean compress) throws IOException {
        if (!compress) {
            TorchBinWriter.stored(zip, name, data);
            return;
        }
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.DEFLATED);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
