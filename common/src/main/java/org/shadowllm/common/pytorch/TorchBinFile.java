package org.shadowllm.common.pytorch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.pytorch.TorchPickle.TensorView;
import org.shadowllm.common.safetensors.HalfFloats;
import org.shadowllm.common.safetensors.SafetensorsDtype;

/**
 * One {@code torch.save} checkpoint ({@code pytorch_model.bin}, PyTorch 1.6+ zip format): a state dict
 * pickled in {@code <top>/data.pkl} whose tensors are views of raw little-endian storages
 * {@code <top>/data/<key>}. The pickle is read with an allow-list ({@link TorchPickle}); each tensor is
 * read on request, only its own bytes, straight from the file. Views may share a storage, start at an
 * offset, or be strided (a transposed weight); {@link #readFloats} returns them contiguous, row-major.
 */
public final class TorchBinFile implements AutoCloseable {
    /** How to turn a legacy (pre-1.6) file into one this reader takes. */
    public static final String CONVERT_HINT = "re-save it with PyTorch: torch.save(torch.load(f), f2, "
            + "_use_new_zipfile_serialization=True), or convert it to safetensors";

    private static final int ZIP_MAGIC = 0x04034b50;

    private final Path path;
    private final FileChannel channel;
    private final Map<String, Tensor> tensors;

    /** A tensor: a view of a storage whose data starts at {@code dataOffset} of the file. */
    private record Tensor(TensorView view, long dataOffset) {
        Tensor {
            if (view == null || dataOffset < 0) {
                throw new IllegalArgumentException("tensor without a view or with a negative data offset");
            }
        }
    }

    private TorchBinFile(Path path, FileChannel channel, Map<String, Tensor> tensors) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
    }

    public static TorchBinFile open(Path path) {
        String file = path.toString();
        if (!Files.isRegularFile(path)) {
            throw new TorchBinException(file, null, "file not found");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            if (channel.size() < 4) {
                throw new TorchBinException(file, null, "truncated: " + channel.size() + " bytes");
            }
            ByteBuffer magic = StoredZip.read(channel, 0, 4, file);
            if ((magic.get(0) & 0xff) == 0x80) {
                // a bare pickle: torch.save before PyTorch 1.6 (its first pickle is a magic number)
                throw new TorchBinException(
                        file, null, "legacy (pre-1.6, non-zip) PyTorch serialization is not read; " + CONVERT_HINT);
            }
            if (magic.getInt(0) != ZIP_MAGIC) {
                throw new TorchBinException(
                        file, null, "not a PyTorch checkpoint (neither a zip archive nor a pickle)");
            }
            Map<String, Tensor> tensors = readTensors(channel, file);
            TorchBinFile result = new TorchBinFile(path, channel, Collections.unmodifiableMap(tensors));
            channel = null;
            return result;
        } catch (IOException e) {
            throw new TorchBinException(file, "cannot read", e);
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

    private static Map<String, Tensor> readTensors(FileChannel channel, String file) throws IOException {
        StoredZip zip = StoredZip.read(channel, file);
        String top = topFolder(zip, file);
        StoredZip.Entry byteorder = zip.entries().get(top + "byteorder");
        if (byteorder != null) {
            String order = new String(bytes(channel, byteorder, file), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new TorchBinException(file, null, "byte order '" + order + "' is not supported (little only)");
            }
        }
        Object root = TorchPickle.load(bytes(channel, zip.entries().get(top + "data.pkl"), file), file);
        if (!(root instanceof Map<?, ?> dict)) {
            throw new TorchBinException(file, null, "the pickle holds no state dict (a dict of tensors)");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            // non-tensor values (a `_metadata` dict written as an item, say) are not weights: skipped
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof TensorView view)) {
                continue;
            }
            String entryName = top + "data/" + view.storage().key();
            StoredZip.Entry entry = zip.entries().get(entryName);
            if (entry == null) {
                throw new TorchBinException(file, name, "storage entry '" + entryName + "' is missing");
            }
            requireStored(entry, file);
            SafetensorsDtype dtype = view.storage().type().dtype();
            long storageBytes = Math.multiplyExact(view.storage().numel(), (long) dtype.bytes());
            if (entry.size() < storageBytes) {
                throw new TorchBinException(
                        file,
                        name,
                        "storage '" + entryName + "' holds " + entry.size() + " bytes, "
                                + view.storage().numel() + " elements of " + dtype + " need " + storageBytes);
            }
            long last = lastIndex(view);
            if (last >= view.storage().numel()) {
                throw new TorchBinException(
                        file,
                        name,
                        "view (offset " + view.offset() + ", size " + Arrays.toString(view.shape())
                                + ", stride " + Arrays.toString(view.stride()) + ") reaches element " + last
                                + " of a storage of " + view.storage().numel());
            }
            out.put(name, new Tensor(view, entry.dataOffset()));
        }
        return out;
    }

    /** The folder the entries live in, named after the file by torch.save: found from {@code <top>/data.pkl}. */
    private static String topFolder(StoredZip zip, String file) {
        String top = null;
        for (String name : zip.entries().keySet()) {
            if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                if (top != null) {
                    throw new TorchBinException(file, null, "more than one data.pkl: " + top + "data.pkl, " + name);
                }
                top = name.substring(0, name.length() - "data.pkl".length());
            }
        }
        if (top == null) {
            throw new TorchBinException(file, null, "zip archive without <folder>/data.pkl: not written by torch.save");
        }
        return top;
    }

    private static void requireStored(StoredZip.Entry entry, String file) {
        if (!entry.stored()) {
            throw new TorchBinException(
                    file,
                    null,
                    "entry '" + entry.name() + "' is compressed (method " + entry.method()
                            + "); torch.save stores entries uncompressed, so tensors can be read in place");
        }
    }

    private static byte[] bytes(FileChannel channel, StoredZip.Entry entry, String file) throws IOException {
        requireStored(entry, file);
        if (entry.size() > Integer.MAX_VALUE - 16) {
            throw new TorchBinException(file, null, "entry '" + entry.name() + "' is too large to read whole");
        }
        return StoredZip.read(channel, entry.dataOffset(), (int) entry.size(), file)
                .array();
    }

    /** The storage index of the view's last element ({@code offset - 1} when it is empty). */
    private static long lastIndex(TensorView v) {
        long last = v.offset();
        for (int i = 0; i < v.shape().length; i++) {
            if (v.shape()[i] == 0) {
                return v.offset() - 1;
            }
            last = Math.addExact(last, Math.multiplyExact(v.shape()[i] - 1, v.stride()[i]));
        }
        return last;
    }

    public Path path() {
        return path;
    }

    /** Tensor names, in the state dict's order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public long[] shape(String name) {
        return tensor(name).view().shape();
    }

    public SafetensorsDtype dtype(String name) {
        return tensor(name).view().storage().type().dtype();
    }

    private Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new TorchBinException(path.toString(), name, "missing tensor");
        }
        return t;
    }

    /** A floating-point tensor, contiguous row-major, widened to float (doubles are narrowed). */
    public float[] readFloats(String name) {
        Tensor t = tensor(name);
        TensorView v = t.view();
        SafetensorsDtype dtype = v.storage().type().dtype();
        if (!dtype.isFloatingPoint()) {
            throw new TorchBinException(path.toString(), name, "dtype " + dtype + " is not a floating-point type");
        }
        long[] shape = v.shape();
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        if (count > Integer.MAX_VALUE - 16) {
            throw new TorchBinException(path.toString(), name, count + " elements do not fit one Java array");
        }
        float[] out = new float[(int) count];
        if (count == 0) {
            return out;
        }
        int es = dtype.bytes();
        // only the bytes between the view's first and last element are read
        long span = Math.multiplyExact(lastIndex(v) - v.offset() + 1, (long) es);
        if (span > Integer.MAX_VALUE - 16) {
            throw new TorchBinException(
                    path.toString(), name, "view spans " + span + " bytes, too many to read at once");
        }
        ByteBuffer buf;
        try {
            buf = StoredZip.read(channel, t.dataOffset() + v.offset() * es, (int) span, path.toString());
        } catch (IOException e) {
            throw new TorchBinException(path.toString(), "cannot read tensor '" + name + "'", e);
        }
        if (contiguous(shape, v.stride())) {
            for (int i = 0; i < out.length; i++) {
                out[i] = element(buf, i * es, dtype);
            }
            return out;
        }
        // strided view: walk the row-major index, carrying like an odometer
        int rank = shape.length;
        long[] idx = new long[rank];
        long pos = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = element(buf, Math.toIntExact(pos * es), dtype);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    pos += v.stride()[d];
                    break;
                }
                pos -= (shape[d] - 1) * v.stride()[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    private static boolean contiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    private static float element(ByteBuffer buf, int at, SafetensorsDtype dtype) {
        return switch (dtype) {
            case F32 -> buf.getFloat(at);
            case F64 -> (float) buf.getDouble(at);
            case F16 -> HalfFloats.f16ToFloat(buf.getShort(at));
            case BF16 -> HalfFloats.bf16ToFloat(buf.getShort(at));
            default -> throw new IllegalStateException(dtype + " is not a floating-point type");
        };
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new TorchBinException(path.toString(), "cannot close", e);
        }
    }
}
