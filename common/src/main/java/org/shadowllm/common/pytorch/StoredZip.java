package org.shadowllm.common.pytorch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The directory of a zip archive as {@code torch.save} writes it, with the file offset of each entry's
 * data, so that a tensor is read straight from the file. {@link java.util.zip.ZipFile} lists entries but
 * does not tell where their data starts, hence this small reader of the central directory (zip64
 * included: checkpoints pass 4 GiB).
 */
public final class StoredZip {
    /** Compression method of an uncompressed entry. */
    public static final int STORED = 0;

    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final int EOCD_SIZE = 22;
    private static final long U32 = 0xffffffffL;

    /** One entry: its data lies at {@code [dataOffset, dataOffset + compressedSize)} of the file. */
    public record Entry(String name, int method, long compressedSize, long size, long crc32, long dataOffset) {
        public Entry {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("zip entry without a name");
            }
            if (compressedSize < 0 || size < 0 || dataOffset < 0) {
                throw new IllegalArgumentException(name + ": negative size or offset");
            }
        }

        public boolean stored() {
            return method == STORED && compressedSize == size;
        }
    }

    private final Map<String, Entry> entries;
    private final long directoryOffset;

    private StoredZip(Map<String, Entry> entries, long directoryOffset) {
        this.entries = entries;
        this.directoryOffset = directoryOffset;
    }

    /** Entries by name, in directory order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** Where the central directory starts: every entry's data lies before it. */
    public long directoryOffset() {
        return directoryOffset;
    }

    /** Reads the directory of {@code file}; a cut or damaged archive is refused naming the file. */
    public static StoredZip read(FileChannel ch, String file) throws IOException {
        long size = ch.size();
        if (size < EOCD_SIZE) {
            throw new TorchBinException(file, null, "truncated: " + size + " bytes, too short for a zip archive");
        }
        int tailLen = (int) Math.min(size, EOCD_SIZE + 0xffff);
        ByteBuffer tail = read(ch, size - tailLen, tailLen, file);
        int eocd = -1;
        for (int i = tailLen - EOCD_SIZE; i >= 0; i--) {
            if (tail.getInt(i) == EOCD_SIG && i + EOCD_SIZE + (tail.getShort(i + 20) & 0xffff) <= tailLen) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw new TorchBinException(
                    file, null, "truncated or not a zip archive: no end-of-central-directory record");
        }
        long eocdPos = size - tailLen + eocd;
        long count = tail.getShort(eocd + 10) & 0xffff;
        long cdSize = tail.getInt(eocd + 12) & U32;
        long cdOffset = tail.getInt(eocd + 16) & U32;
        long cdEnd = eocdPos;
        if (count == 0xffff || cdSize == U32 || cdOffset == U32) {
            if (eocdPos < 20) {
                throw new TorchBinException(file, null, "zip64 archive without its locator");
            }
            ByteBuffer loc = read(ch, eocdPos - 20, 20, file);
            if (loc.getInt(0) != ZIP64_LOCATOR_SIG) {
                throw new TorchBinException(file, null, "zip64 archive without its locator");
            }
            long z64 = loc.getLong(8);
            if (z64 < 0 || z64 + 56 > eocdPos - 20) {
                throw new TorchBinException(file, null, "zip64 end record at " + z64 + " lies outside the file");
            }
            ByteBuffer rec = read(ch, z64, 56, file);
            if (rec.getInt(0) != ZIP64_EOCD_SIG) {
                throw new TorchBinException(file, null, "zip64 end record not found at " + z64);
            }
            count = rec.getLong(32);
            cdSize = rec.getLong(40);
            cdOffset = rec.getLong(48);
            cdEnd = z64;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > cdEnd || cdSize > Integer.MAX_VALUE) {
            throw new TorchBinException(
                    file,
                    null,
                    "truncated or damaged: central directory [" + cdOffset + ", +" + cdSize
                            + ") does not fit before byte " + cdEnd);
        }
        ByteBuffer cd = read(ch, cdOffset, (int) cdSize, file);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cdSize || cd.getInt(p) != CENTRAL_SIG) {
                throw new TorchBinException(file, null, "damaged central directory at entry " + i);
            }
            int method = cd.getShort(p + 10) & 0xffff;
            long crc = cd.getInt(p + 16) & U32;
            long csize = cd.getInt(p + 20) & U32;
            long usize = cd.getInt(p + 24) & U32;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & U32;
            if (p + 46L + nameLen + extraLen + commentLen > cdSize) {
                throw new TorchBinException(file, null, "damaged central directory at entry " + i);
            }
            byte[] nameBytes = new byte[nameLen];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            // zip64 extra field: the 64-bit values of whichever fields hold 0xffffffff, in this order
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xffff;
                int len = cd.getShort(x + 2) & 0xffff;
                int v = x + 4;
                if (id == 0x0001) {
                    if (usize == U32 && v + 8 <= x + 4 + len) {
                        usize = cd.getLong(v);
                        v += 8;
                    }
                    if (csize == U32 && v + 8 <= x + 4 + len) {
                        csize = cd.getLong(v);
                        v += 8;
                    }
                    if (local == U32 && v + 8 <= x + 4 + len) {
                        local = cd.getLong(v);
                    }
                }
                x += 4 + len;
            }
            p += 46 + nameLen + extraLen + commentLen;
            if (local < 0 || local + 30 > cdOffset) {
                throw new TorchBinException(file, null, "entry '" + name + "': local header outside the file");
            }
            ByteBuffer lh = read(ch, local, 30, file);
            if (lh.getInt(0) != LOCAL_SIG) {
                throw new TorchBinException(file, null, "entry '" + name + "': no local header at " + local);
            }
            long data = local + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
            if (csize < 0 || data + csize > cdOffset) {
                throw new TorchBinException(
                        file,
                        null,
                        "truncated or damaged: entry '" + name + "' data [" + data + ", +" + csize
                                + ") runs past the central directory at " + cdOffset);
            }
            entries.put(name, new Entry(name, method, csize, usize, crc, data));
        }
        return new StoredZip(Collections.unmodifiableMap(entries), cdOffset);
    }

    /** {@code length} bytes at {@code pos}, little-endian. */
    static ByteBuffer read(FileChannel ch, long pos, int length, String file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        long p = pos;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new TorchBinException(file, null, "truncated: unexpected end of file at byte " + p);
            }
            p += r;
        }
        return buf.flip();
    }
}
