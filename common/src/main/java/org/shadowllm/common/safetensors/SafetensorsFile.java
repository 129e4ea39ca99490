package org.shadowllm.common.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reader of one safetensors file: an 8-byte little-endian header length, a JSON header, then raw
 * little-endian data. Offsets are 64-bit, so files past 2 GB read fine; floats of any width come
 * back widened to float or double.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        String file = path.toString();
        if (!Files.isRegularFile(path)) {
            throw new SafetensorsException(file, null, "file not found");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(file, null, "truncated: " + size + " bytes, no header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0, file);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER) {
                throw new SafetensorsException(file, null, "implausible header length " + headerLen);
            }
            if (8 + headerLen > size) {
                throw new SafetensorsException(
                        file, null, "truncated: header needs " + headerLen + " bytes but the file has " + (size - 8));
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(channel, headerBuf, 8, file);
            String json = new String(headerBuf.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLen;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(json, file, size - dataStart, metadata);
            SafetensorsFile result = new SafetensorsFile(
                    path,
                    channel,
                    dataStart,
                    Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
            channel = null;
            return result;
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot read", e);
        } finally {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    private static Map<String, TensorInfo> parseHeader(
            String json, String file, long dataBytes, Map<String, String> metadata) {
        JsonObject root;
        try {
            root = JsonParser.parseString(json).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new SafetensorsException(file, "header is not a JSON object", e);
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!e.getValue().isJsonObject()) {
                    throw new SafetensorsException(file, null, "__metadata__ is not a JSON object");
                }
                for (Map.Entry<String, JsonElement> m :
                        e.getValue().getAsJsonObject().entrySet()) {
                    if (!m.getValue().isJsonPrimitive()
                            || !m.getValue().getAsJsonPrimitive().isString()) {
                        throw new SafetensorsException(
                                file, null, "__metadata__ value of '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            try {
                JsonObject t = e.getValue().getAsJsonObject();
                SafetensorsDtype dtype = SafetensorsDtype.parse(t.get("dtype").getAsString(), name, file);
                var shapeJson = t.getAsJsonArray("shape");
                long[] shape = new long[shapeJson.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeJson.get(i).getAsLong();
                }
                var offsets = t.getAsJsonArray("data_offsets");
                TensorInfo info = new TensorInfo(
                        name,
                        dtype,
                        shape,
                        offsets.get(0).getAsLong(),
                        offsets.get(1).getAsLong());
                for (long d : shape) {
                    if (d < 0) {
                        throw new SafetensorsException(file, name, "negative dimension in shape " + info.shapeString());
                    }
                }
                if (info.end() - info.begin() != Math.multiplyExact(info.elementCount(), dtype.bytes())) {
                    throw new SafetensorsException(
                            file,
                            name,
                            "byte range " + (info.end() - info.begin()) + " does not match shape " + info.shapeString()
                                    + " of " + dtype);
                }
                if (info.end() > dataBytes) {
                    throw new SafetensorsException(
                            file,
                            name,
                            "truncated: data ends at byte " + info.end() + " but the file holds only " + dataBytes
                                    + " data bytes");
                }
                tensors.put(name, info);
            } catch (NullPointerException
                    | IllegalStateException
                    | IllegalArgumentException
                    | UnsupportedOperationException
                    | ArithmeticException ex) {
                if (ex instanceof SafetensorsException se) {
                    throw se;
                }
                throw new SafetensorsException(file, name, "malformed header entry: " + ex.getMessage());
            }
        }
        requireContiguous(tensors, file);
        return tensors;
    }

    /** As the format requires: tensor data tiles the buffer from byte 0, with no overlap and no hole. */
    private static void requireContiguous(Map<String, TensorInfo> tensors, String file) {
        TensorInfo previous = null;
        for (TensorInfo t : tensors.values().stream()
                .sorted(java.util.Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end))
                .toList()) {
            long expected = previous == null ? 0 : previous.end();
            if (t.begin() < expected) {
                throw new SafetensorsException(
                        file,
                        t.name(),
                        "data [" + t.begin() + ", " + t.end() + ") overlaps " + previous.name() + " ["
                                + previous.begin() + ", " + previous.end() + ")");
            }
            if (t.begin() > expected) {
                throw new SafetensorsException(
                        file,
                        t.name(),
                        "data starts at byte " + t.begin() + ", leaving a hole " + "after "
                                + (previous == null ? "the header" : previous.name()) + " (ends at " + expected + ")");
            }
            previous = t;
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsException(path.toString(), name, "missing tensor");
        }
        return info;
    }

    /** Reads a floating-point tensor, widened to float (doubles are narrowed). */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        ByteBuffer buf = readBytes(info);
        int n = Math.toIntExact(info.elementCount());
        float[] out = new float[n];
        switch (info.dtype()) {
            case F32 -> buf.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) buf.getDouble();
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.f16ToFloat(buf.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.bf16ToFloat(buf.getShort());
                }
            }
            default -> throw notFloat(info);
        }
        return out;
    }

    /** Reads a floating-point tensor, widened to double. */
    public double[] readDoubles(String name) {
        TensorInfo info = info(name);
        if (info.dtype() != SafetensorsDtype.F64) {
            float[] f = readFloats(name);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }
        ByteBuffer buf = readBytes(info);
        double[] out = new double[Math.toIntExact(info.elementCount())];
        buf.asDoubleBuffer().get(out);
        return out;
    }

    private SafetensorsException notFloat(TensorInfo info) {
        return new SafetensorsException(
                path.toString(), info.name(), "dtype " + info.dtype() + " is not a floating-point type");
    }

    private ByteBuffer readBytes(TensorInfo info) {
        if (!info.dtype().isFloatingPoint()) {
            throw notFloat(info);
        }
        long len = info.end() - info.begin();
        if (len > Integer.MAX_VALUE - 16) {
            throw new SafetensorsException(
                    path.toString(), info.name(), "tensor of " + len + " bytes is larger than one Java array can hold");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) len).order(ByteOrder.LITTLE_ENDIAN);
        try {
            readFully(channel, buf, dataStart + info.begin(), path.toString());
        } catch (IOException e) {
            throw new SafetensorsException(path.toString(), "cannot read tensor '" + info.name() + "'", e);
        }
        return buf.flip();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, String file) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new SafetensorsException(file, null, "truncated: unexpected end of file at byte " + p);
            }
            p += r;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new SafetensorsException(path.toString(), "cannot close", e);
        }
    }
}
