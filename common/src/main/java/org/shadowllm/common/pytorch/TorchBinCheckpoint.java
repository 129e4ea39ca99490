package org.shadowllm.common.pytorch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.safetensors.SafetensorsCheckpoint;
import org.shadowllm.common.safetensors.SafetensorsDtype;

/**
 * The tensors of a model folder saved by PyTorch: one {@code pytorch_model.bin}, or the shards listed in
 * {@code pytorch_model.bin.index.json} ({@code {"metadata": {...}, "weight_map": {name: shard}}}, the
 * layout of the safetensors index). As for safetensors, the index wins when both are present.
 */
public final class TorchBinCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "pytorch_model.bin";
    public static final String INDEX_FILE = "pytorch_model.bin.index.json";

    private final Path directory;
    private final List<TorchBinFile> files;
    private final Map<String, TorchBinFile> byTensor;

    private TorchBinCheckpoint(Path directory, List<TorchBinFile> files, Map<String, TorchBinFile> byTensor) {
        this.directory = directory;
        this.files = files;
        this.byTensor = byTensor;
    }

    /** Whether {@code directory} holds a {@code .bin} checkpoint (either file). */
    public static boolean present(Path directory) {
        return Files.isRegularFile(directory.resolve(INDEX_FILE))
                || Files.isRegularFile(directory.resolve(SINGLE_FILE));
    }

    public static TorchBinCheckpoint open(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        Path single = directory.resolve(SINGLE_FILE);
        List<TorchBinFile> files = new ArrayList<>();
        Map<String, TorchBinFile> byTensor = new LinkedHashMap<>();
        try {
            if (Files.isRegularFile(index)) {
                Map<String, TorchBinFile> shards = new LinkedHashMap<>();
                for (Map.Entry<String, String> e :
                        SafetensorsCheckpoint.readIndex(index).entrySet()) {
                    TorchBinFile shard = shards.get(e.getValue());
                    if (shard == null) {
                        shard = TorchBinFile.open(SafetensorsCheckpoint.shardPath(directory, index, e.getValue()));
                        shards.put(e.getValue(), shard);
                        files.add(shard);
                    }
                    if (!shard.contains(e.getKey())) {
                        throw new TorchBinException(
                                shard.path().toString(), e.getKey(), "missing tensor (listed in " + INDEX_FILE + ")");
                    }
                    byTensor.put(e.getKey(), shard);
                }
            } else if (Files.isRegularFile(single)) {
                TorchBinFile f = TorchBinFile.open(single);
                files.add(f);
                f.names().forEach(name -> byTensor.put(name, f));
            } else {
                throw new TorchBinException(directory.toString(), null, "no " + SINGLE_FILE + " and no " + INDEX_FILE);
            }
        } catch (RuntimeException e) {
            files.forEach(TorchBinFile::close);
            throw e;
        }
        return new TorchBinCheckpoint(directory, files, byTensor);
    }

    /** The checkpoint's {@code .bin} files, in name order: the index's shards, or the single file. */
    public static List<Path> files(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return SafetensorsCheckpoint.readIndex(index).values().stream()
                    .distinct()
                    .sorted()
                    .map(shard -> SafetensorsCheckpoint.shardPath(directory, index, shard))
                    .toList();
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        throw new TorchBinException(directory.toString(), null, "no " + SINGLE_FILE + " and no " + INDEX_FILE);
    }

    public Path directory() {
        return directory;
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    public long[] shape(String name) {
        return file(name).shape(name);
    }

    public SafetensorsDtype dtype(String name) {
        return file(name).dtype(name);
    }

    public float[] readFloats(String name) {
        return file(name).readFloats(name);
    }

    private TorchBinFile file(String name) {
        TorchBinFile f = byTensor.get(name);
        if (f == null) {
            String where = files.size() == 1 ? files.get(0).path().toString() : directory.toString();
            throw new TorchBinException(where, name, "missing tensor");
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(TorchBinFile::close);
    }
}
