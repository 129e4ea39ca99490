package org.shadowllm.common.pytorch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.common.safetensors.SafetensorsWriter;
import org.shadowllm.common.safetensors.SafetensorsWriter.Spec;

/**
 * Writes a checkpoint in {@code torch.save}'s zip layout, as the Hugging Face hub ships OPT:
 * {@code <top>/data.pkl} (a protocol-2 pickle of an {@code OrderedDict} of {@code _rebuild_tensor_v2}
 * calls, one storage per tensor), {@code <top>/data/<key>} (each storage, stored uncompressed),
 * {@code <top>/version} and {@code <top>/byteorder}. {@code <top>} is the file's name without
 * {@code .bin}, as {@code torch.save} names it. One tensor's values are in memory at a time.
 */
public final class TorchBinWriter {
    private TorchBinWriter() {}

    /** The typed storage class {@code torch.save} names for {@code dtype}. */
    static String storageClass(SafetensorsDtype dtype) {
        return switch (dtype) {
            case F32 -> "FloatStorage";
            case F16 -> "HalfStorage";
            case BF16 -> "BFloat16Storage";
            default -> throw new IllegalArgumentException("weights are written as F32, F16 or BF16, not " + dtype);
        };
    }

    public static void write(Path file, List<Spec> specs, SafetensorsDtype dtype, Function<Spec, float[]> values) {
        SafetensorsWriter.requireFloatDtype(dtype);
        String name = file.getFileName().toString();
        String top = name.endsWith(".bin") ? name.substring(0, name.length() - 4) : name;
        Pickle p = new Pickle();
        p.op(0x80).op(2);
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            long[] shape = s.shape();
            long[] stride = new long[shape.length];
            long step = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = step;
                step *= shape[d];
            }
            p.str(s.name());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            p.op('(')
                    .str("storage")
                    .global("torch", storageClass(dtype))
                    .str(Integer.toString(i))
                    .str("cpu");
            p.integer(s.numel()).op('t').op('Q');
            p.integer(0).tuple(shape).tuple(stride).op(0x89);
            p.global("collections", "OrderedDict").op(')').op('R');
            p.op('t').op('R');
        }
        p.op('u').op('.');
        SafetensorsWriter.replaceAtomically(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            stored(zip, top + "/data.pkl", p.bytes());
            for (int i = 0; i < specs.size(); i++) {
                Spec s = specs.get(i);
                float[] v = values.apply(s);
                if (v.length != s.numel()) {
                    throw new IllegalArgumentException(s.name() + ": " + v.length + " values for " + s.numel());
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(v.length * dtype.bytes());
                SafetensorsWriter.encode(v, dtype, bytes);
                stored(zip, top + "/data/" + i, bytes.toByteArray());
            }
            stored(zip, top + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, top + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            zip.finish();
        });
    }

    /** An uncompressed entry, as {@code torch.save} writes them (the reader reads storages by offset). */
    public static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(data);
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Pickle opcodes, written by hand: only what a state dict needs. */
    public static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Pickle op(int opcode) {
            out.write(opcode);
            return this;
        }

        /** GLOBAL. */
        public Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        /** BINUNICODE. */
        public Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            out.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(b.length)
                    .array());
            out.writeBytes(b);
            return this;
        }

        /** BININT, or LONG1 past an int. */
        public Pickle integer(long v) {
            if (v == (int) v) {
                op('J');
                out.writeBytes(ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt((int) v)
                        .array());
                return this;
            }
            byte[] le = ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(v)
                    .array();
            op(0x8a).op(8);
            out.writeBytes(le);
            return this;
        }

        public Pickle tuple(long[] values) {
            op('(');
            for (long v : values) {
                integer(v);
            }
            return op('t');
        }

        public byte[] bytes() {
            return out.toByteArray();
        }
    }
}
