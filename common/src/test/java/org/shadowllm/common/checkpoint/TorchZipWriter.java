package org.shadowllm.common.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
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
        Pickle p = new Pickle();
        p.op(0x80).op(2);
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = Integer.toString(storages.size());
            float[] v = e.getValue().values();
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            storages.put(key, b.array());
            long[] shape = e.getValue().shape();
            long[] stride = new long[shape.length];
            long s = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = s;
                s *= shape[d];
            }
            p.str(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            p.op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu");
            p.integer(v.length).op('t').op('Q');
            p.integer(0).tuple(shape).tuple(stride).op(0x89);
            p.global("collections", "OrderedDict").op(')').op('R');
            p.op('t').op('R');
        }
        p.op('u').op('.');
        writeZip(file, top, p.bytes(), storages, false);
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
        ZipEntry e = new ZipEntry(name);
        if (compress) {
            e.setMethod(ZipEntry.DEFLATED);
        } else {
            CRC32 crc = new CRC32();
            crc.update(data);
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            e.setCompressedSize(data.length);
            e.setCrc(crc.getValue());
        }
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Pickle opcodes, written by hand. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int opcode) {
            out.write(opcode);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        /** BINUNICODE. */
        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            out.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(b.length)
                    .array());
            out.writeBytes(b);
            return this;
        }

        /** BININT. */
        Pickle integer(long v) {
            op('J');
            out.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(Math.toIntExact(v))
                    .array());
            return this;
        }

        Pickle tuple(long[] values) {
            op('(');
            for (long v : values) {
                integer(v);
            }
            return op('t');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
