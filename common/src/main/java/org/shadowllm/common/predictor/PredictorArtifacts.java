package org.shadowllm.common.predictor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.safetensors.SafetensorsException;
import org.shadowllm.common.safetensors.SafetensorsFile;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.TensorInfo;

/**
 * A predictor on disk: a directory with {@code weights.safetensors} (F32, tensors
 * {@code <network>.w1}, {@code .b1}, {@code .w2}, {@code .b2}) and {@code manifest.json}.
 * Saving replaces the directory only once both files are complete.
 */
public final class PredictorArtifacts {
    public static final String WEIGHTS = "weights.safetensors";
    public static final String MANIFEST = "manifest.json";
    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create();

    private PredictorArtifacts() {}

    /** Commit points of {@link #save}, where tests inject a kill. */
    interface Faults {
        void at(String point) throws IOException;
    }

    static volatile Faults faults = point -> {};

    /**
     * Writes the artifact to a staging directory of its own, then swaps it in: the previous artifact
     * moves to {@code <dir>.old}, the new one into place, and {@code .old} is deleted. A save killed
     * between the two moves leaves only {@code .old}, which {@link #recoverInterruptedSave} (run by
     * every save) puts back. The trainer job publishes through its staged commit instead.
     */
    public static void save(UnitPredictor predictor, Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        recoverInterruptedSave(target);
        Path staging = target.resolveSibling(target.getFileName() + ".staging-" + java.util.UUID.randomUUID());
        Path old = target.resolveSibling(target.getFileName() + ".old");
        try {
            Files.createDirectories(staging);
            Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
            for (NetworkWeights n : predictor.networks()) {
                NetworkSpec s = n.spec();
                tensors.put(
                        s.name() + ".w1", new SafetensorsWriter.Tensor(n.w1(), new long[] {s.hidden(), s.inputs()}));
                tensors.put(
                        s.name() + ".w2", new SafetensorsWriter.Tensor(n.w2(), new long[] {s.outputs(), s.hidden()}));
                if (s.bias()) {
                    tensors.put(s.name() + ".b1", new SafetensorsWriter.Tensor(n.b1(), new long[] {s.hidden()}));
                    tensors.put(s.name() + ".b2", new SafetensorsWriter.Tensor(n.b2(), new long[] {s.outputs()}));
                }
            }
            SafetensorsWriter.write(
                    staging.resolve(WEIGHTS),
                    tensors,
                    Map.of(
                            "format",
                            "shadowllm-predictor",
                            "kind",
                            predictor.kind().key()));
            Files.writeString(staging.resolve(MANIFEST), GSON.toJson(predictor.manifest()), StandardCharsets.UTF_8);
            faults.at("staged");
            deleteTree(old);
            if (Files.exists(target)) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            faults.at("old-moved-aside");
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            faults.at("new-in-place");
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save predictor to " + target, e);
        } finally {
            try {
                deleteTree(staging);
            } catch (IOException e) {
                // a leftover staging directory is never read; the next save uses a new one
            }
        }
    }

    /**
     * Puts back {@code <dir>.old} when a save was killed after moving the previous artifact aside and
     * before moving the new one in. Returns whether it did.
     */
    static boolean recoverInterruptedSave(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        Path old = target.resolveSibling(target.getFileName() + ".old");
        if (Files.exists(target) || !Files.isDirectory(old)) {
            return false;
        }
        try {
            Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restore the interrupted predictor save at " + old, e);
        }
    }

    /**
     * What identifies one saved predictor: SHA-256 over its manifest (run id, creation time, training
     * options, metrics), its weights file's size and its first and last 64 KiB; 16 hex digits. Another
     * training writes another manifest, so a replaced artifact gets another fingerprint.
     */
    public static String fingerprint(Path dir) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(dir.resolve(MANIFEST)));
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(WEIGHTS))) {
                long size = ch.size();
                sha.update(java.nio.ByteBuffer.allocate(8).putLong(0, size));
                int sample = (int) Math.min(size, 64 << 10);
                for (long at : new long[] {0, size - sample}) {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(sample);
                    while (buf.hasRemaining() && ch.read(buf, at + buf.position()) > 0) {}
                    sha.update(buf.flip());
                }
            }
            return java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the predictor at " + dir, e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads a predictor and refuses it unless it was trained for a model shaped like {@code config}. */
    public static UnitPredictor load(Path dir, DecoderConfig config, String modelName) {
        UnitPredictor p = load(dir);
        try {
            p.shape().requireMatches(config, modelName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        }
        return p;
    }

    public static UnitPredictor load(Path dir) {
        Path manifestFile = dir.resolve(MANIFEST);
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(manifestFile) || !Files.isRegularFile(weightsFile)) {
            throw new IllegalArgumentException(
                    "not a predictor artifact: " + dir + " needs " + MANIFEST + " and " + WEIGHTS);
        }
        PredictorManifest manifest;
        try {
            manifest = GSON.fromJson(Files.readString(manifestFile, StandardCharsets.UTF_8), PredictorManifest.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifestFile, e);
        } catch (JsonParseException | IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException(
                    manifestFile + " is not a valid predictor manifest: " + e.getMessage(), e);
        }
        if (manifest == null || manifest.formatVersion() != PredictorManifest.FORMAT_VERSION) {
            throw new IllegalArgumentException(manifestFile + ": unsupported predictor format "
                    + (manifest == null ? "(empty)" : manifest.formatVersion()));
        }
        List<NetworkWeights> networks = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(weightsFile)) {
            for (NetworkSpec s : manifest.networks()) {
                float[] w1 = read(f, s.name() + ".w1", s.hidden(), s.inputs());
                float[] w2 = read(f, s.name() + ".w2", s.outputs(), s.hidden());
                float[] b1 = s.bias() ? read(f, s.name() + ".b1", s.hidden()) : null;
                float[] b2 = s.bias() ? read(f, s.name() + ".b2", s.outputs()) : null;
                networks.add(new NetworkWeights(s, w1, b1, w2, b2));
            }
        } catch (SafetensorsException e) {
            throw new IllegalArgumentException("predictor " + dir + ": " + e.getMessage(), e);
        }
        try {
            return new UnitPredictor(manifest, networks);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("predictor " + dir + ": " + e.getMessage(), e);
        }
    }

    private static float[] read(SafetensorsFile f, String name, long... shape) {
        TensorInfo info = f.info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new IllegalArgumentException(f.path() + ": tensor " + name + " has shape " + info.shapeString()
                    + ", the manifest needs " + Arrays.toString(shape));
        }
        return f.readFloats(name);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
