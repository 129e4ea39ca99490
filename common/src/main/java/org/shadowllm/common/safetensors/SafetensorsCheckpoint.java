package org.shadowllm.common.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a Hugging Face checkpoint directory: either one {@code model.safetensors}, or the
 * shards listed in {@code model.safetensors.index.json}.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;

    private SafetensorsCheckpoint(Path directory, List<SafetensorsFile> files, Map<String, SafetensorsFile> byTensor) {
        this.directory = directory;
        this.files = files;
        this.byTensor = byTensor;
    }

    public static SafetensorsCheckpoint open(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        Path single = directory.resolve(SINGLE_FILE);
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            if (Files.isRegularFile(index)) {
                Map<String, String> weightMap = readIndex(index);
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : weightMap.entrySet()) {
                    SafetensorsFile shard = shards.get(e.getValue());
                    if (shard == null) {
                        shard = SafetensorsFile.open(shardPath(directory, index, e.getValue()));
                        shards.put(e.getValue(), shard);
                        files.add(shard);
                    }
                    if (!shard.tensors().containsKey(e.getKey())) {
                        throw new SafetensorsException(
                                shard.path().toString(), e.getKey(), "missing tensor (listed in " + INDEX_FILE + ")");
                    }
                    byTensor.put(e.getKey(), shard);
                }
            } else if (Files.isRegularFile(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                files.add(f);
                f.tensors().keySet().forEach(name -> byTensor.put(name, f));
            } else {
                throw new SafetensorsException(
                        directory.toString(), null, "no " + SINGLE_FILE + " and no " + INDEX_FILE);
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsCheckpoint(directory, files, byTensor);
    }

    /** The checkpoint's safetensors files, in name order: the index's shards, or the single file. */
    public static List<Path> files(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return readIndex(index).values().stream()
                    .distinct()
                    .sorted()
                    .map(shard -> shardPath(directory, index, shard))
                    .toList();
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        throw new SafetensorsException(directory.toString(), null, "no " + SINGLE_FILE + " and no " + INDEX_FILE);
    }

    /**
     * A shard named by an index (this one's or {@code pytorch_model.bin.index.json}, which has the same
     * layout): a plain file name inside the model folder, never a path out of it.
     */
    public static Path shardPath(Path directory, Path index, String shard) {
        Path p = directory.resolve(shard).normalize();
        if (shard.isBlank()
                || !p.getParent().equals(directory.normalize())
                || shard.contains("/")
                || shard.contains("\\")) {
            throw new SafetensorsException(
                    index.toString(), null, "shard '" + shard + "' is not a file name inside " + directory);
        }
        return p;
    }

    /** The {@code weight_map} of a shard index: tensor name to shard file name, in the index's order. */
    public static Map<String, String> readIndex(Path index) {
        try {
            JsonObject root = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
            JsonObject map = root.getAsJsonObject("weight_map");
            if (map == null) {
                throw new SafetensorsException(index.toString(), null, "no 'weight_map' object");
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : map.entrySet()) {
                out.put(e.getKey(), e.getValue().getAsString());
            }
            return out;
        } catch (IOException e) {
            throw new SafetensorsException(index.toString(), "cannot read", e);
        } catch (JsonParseException | IllegalStateException | ClassCastException e) {
            throw new SafetensorsException(index.toString(), "not a valid index JSON", e);
        }
    }

    public Path directory() {
        return directory;
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    /** Tensor names: the index's order, or the file's. */
    public java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(byTensor.keySet());
    }

    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    public float[] readFloats(String name) {
        return file(name).readFloats(name);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            String where = files.size() == 1 ? files.get(0).path().toString() : directory.toString();
            throw new SafetensorsException(where, name, "missing tensor");
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
