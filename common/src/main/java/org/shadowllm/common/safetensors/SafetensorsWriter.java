package org.shadowllm.common.safetensors;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Writes float tensors as an F32 safetensors file, atomically (temp file, then rename). */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** A tensor to write: row-major values and their shape. */
    public record Tensor(float[] values, long[] shape) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.length);
            }
        }
    }

    /** A tensor's name and shape; its values are made only when it is written. */
    public record Spec(String name, long[] shape) {
        public Spec {
            java.util.Objects.requireNonNull(name, "name");
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
                }
            }
        }

        public long numel() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** Writes in-memory tensors as F32. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<Spec> specs = new java.util.ArrayList<>();
        tensors.forEach((name, t) -> specs.add(new Spec(name, t.shape())));
        write(file, specs, SafetensorsDtype.F32, metadata, spec -> tensors.get(spec.name())
                .values());
    }

    /**
     * Writes {@code specs} in order as {@code dtype} (F32, F16 or BF16, rounded to nearest even), asking
     * {@code values} for one tensor at a time: a checkpoint of any size with one tensor in memory.
     * Written to a temporary name and moved into place, so a failed write leaves nothing.
     */
    public static void write(
            Path file,
            List<Spec> specs,
            SafetensorsDtype dtype,
            Map<String, String> metadata,
            Function<Spec, float[]> values) {
        requireFloatDtype(dtype);
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Spec spec : specs) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", dtype.name());
            JsonArray shape = new JsonArray();
            for (long d : spec.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += dtype.bytes() * spec.numel();
            offsets.add(offset);
            t.add("data_offsets", offsets);
            header.add(spec.name(), t);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = Arrays.copyOf(json, json.length + pad);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        replaceAtomically(file, out -> {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Spec spec : specs) {
                float[] v = values.apply(spec);
                if (v.length != spec.numel()) {
                    throw new IllegalArgumentException(
                            spec.name() + ": " + v.length + " values for shape " + Arrays.toString(spec.shape()));
                }
                encode(v, dtype, out);
            }
        });
    }

    /** Writes into {@code out}; may throw. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code file} through a temporary sibling moved into place at the end: whatever fails on the
     * way (a disk error, a bad tensor), the temporary file goes and {@code file} is untouched.
     */
    public static void replaceAtomically(Path file, Body body) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                body.write(out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // keep the original error
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new UncheckedIOException("cannot write " + file, (IOException) e);
        }
    }

    /** Only the float types a checkpoint's weights are written in. */
    public static void requireFloatDtype(SafetensorsDtype dtype) {
        if (dtype != SafetensorsDtype.F32 && dtype != SafetensorsDtype.F16 && dtype != SafetensorsDtype.BF16) {
            throw new IllegalArgumentException("weights are written as F32, F16 or BF16, not " + dtype);
        }
    }

    /** {@code v} as little-endian {@code dtype} values. */
    public static void encode(float[] v, SafetensorsDtype dtype, OutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            if (buf.remaining() < 4) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            switch (dtype) {
                case F32 -> buf.putFloat(x);
                case F16 -> buf.putShort(HalfFloats.floatToF16(x));
                case BF16 -> buf.putShort(HalfFloats.floatToBf16(x));
                default -> throw new IllegalArgumentException("cannot encode " + dtype);
            }
        }
        out.write(buf.array(), 0, buf.position());
    }
}
