package org.shadowllm.trainer.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows of {@code width} little-endian float32 values, stored back to back in one or more part files
 * and read one row at a time by index: the parts read as one file, in the order given. Nothing but
 * the row being read is held in memory.
 */
public final class RowFile implements AutoCloseable {
    private final int width;
    private final List<FileChannel> channels;
    private final long[] starts;
    private final int rows;
    private final ByteBuffer row;
    private final FloatBuffer floats;

    private RowFile(int width, List<FileChannel> channels, long[] starts) {
        this.width = width;
        this.channels = channels;
        this.starts = starts;
        this.rows = (int) starts[starts.length - 1];
        this.row = ByteBuffer.allocateDirect(Math.multiplyExact(width, Float.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        this.floats = row.asFloatBuffer();
    }

    /** The parts, in order, as one file of rows {@code width} wide; a part that is not whole rows is an error. */
    public static RowFile open(List<Path> parts, int width) {
        if (width < 1) {
            throw new IllegalArgumentException("row width must be ≥ 1, got " + width);
        }
        long rowBytes = (long) width * Float.BYTES;
        List<FileChannel> channels = new ArrayList<>();
        long[] starts = new long[parts.size() + 1];
        try {
            for (int i = 0; i < parts.size(); i++) {
                Path part = parts.get(i);
                long bytes = Files.size(part);
                if (bytes % rowBytes != 0) {
                    throw new IllegalArgumentException(part + " holds " + bytes + " bytes, not whole rows of " + width
                            + " floats: it was cut short or belongs to another network");
                }
                starts[i + 1] = starts[i] + bytes / rowBytes;
                if (starts[i + 1] > ArraySizes.MAX) {
                    throw new IllegalArgumentException("more than " + ArraySizes.MAX + " rows in " + parts);
                }
                channels.add(FileChannel.open(part, StandardOpenOption.READ));
            }
        } catch (IOException | RuntimeException e) {
            channels.forEach(RowFile::closeQuietly);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot open " + parts, io);
            }
            throw (RuntimeException) e;
        }
        return new RowFile(width, channels, starts);
    }

    public int rows() {
        return rows;
    }

    public int width() {
        return width;
    }

    /** Checks that every position names one of this file's rows. */
    public void requireRows(int[] positions) {
        for (int p : positions) {
            if (p < 0 || p >= rows) {
                throw new IllegalArgumentException("row " + p + " is not among the file's " + rows);
            }
        }
    }

    /** Copies row {@code index} into {@code dst[offset..offset+width)}. Not thread-safe. */
    public void read(int index, float[] dst, int offset) {
        if (index < 0 || index >= rows) {
            throw new IndexOutOfBoundsException("row " + index + " of " + rows);
        }
        int part = part(index);
        long position = (index - starts[part]) * (long) width * Float.BYTES;
        FileChannel channel = channels.get(part);
        row.clear();
        try {
            while (row.hasRemaining()) {
                if (channel.read(row, position + row.position()) < 0) {
                    throw new IOException("unexpected end of file at row " + index);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read row " + index, e);
        }
        floats.clear();
        floats.get(dst, offset, width);
    }

    private int part(int index) {
        int lo = 0;
        int hi = starts.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    public void close() {
        channels.forEach(RowFile::closeQuietly);
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }

    /** Appends rows of one width to a stream, in the format {@link RowFile} reads. */
    public static final class Writer implements AutoCloseable {
        private final OutputStream out;
        private final int width;
        private final ByteBuffer buffer;
        private long rows;

        public Writer(OutputStream out, int width) {
            if (width < 1) {
                throw new IllegalArgumentException("row width must be ≥ 1, got " + width);
            }
            this.out = out;
            this.width = width;
            this.buffer =
                    ByteBuffer.allocate(Math.multiplyExact(width, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Appends one row made of the given pieces, whose lengths must add up to the width. */
        public void append(float[]... pieces) {
            buffer.clear();
            FloatBuffer f = buffer.asFloatBuffer();
            for (float[] p : pieces) {
                if (p.length > f.remaining()) {
                    throw new IllegalArgumentException("row wider than " + width);
                }
                f.put(p);
            }
            if (f.hasRemaining()) {
                throw new IllegalArgumentException("row of " + f.position() + " values, expected " + width);
            }
            try {
                out.write(buffer.array(), 0, buffer.capacity());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write row " + rows, e);
            }
            rows++;
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot finish a row file", e);
            }
        }
    }
}
