package org.shadowllm.common.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.shadowllm.common.pytorch.StoredZip;

/**
 * What identifies a checkpoint, since its folder name does not: SHA-256 over {@code config.json}, every
 * tokenizer file present ({@link #TOKENIZER_FILES}, whole: a changed vocabulary changes every prompt's
 * tokens, so every criterion), every safetensors header (names, dtypes, shapes, offsets) or, for a
 * {@code .bin}, its pickle and zip directory (with each storage's CRC-32), and 16 samples of 64 KiB spread
 * over each file's data. Two trainings of one architecture differ in every sample; reading a few MiB keeps it
 * cheap at OPT-30B's size. It is a sampled hash: it tells checkpoints apart, it does not prove that
 * no single weight changed.
 */
public final class ModelFingerprint {
    private static final int SAMPLES = 16;
    private static final int SAMPLE_BYTES = 64 << 10;

    /** The tokenizer files a model folder may hold, hashed whole (name and content) where present. */
    public static final java.util.List<String> TOKENIZER_FILES = java.util.List.of(
            "tokenizer.json",
            "vocab.json",
            "merges.txt",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
            "tokenizer.model");

    private ModelFingerprint() {}

    /** 16 hex digits. */
    public static String of(Path modelDir) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(modelDir.resolve("config.json")));
            for (String name : TOKENIZER_FILES) {
                Path file = modelDir.resolve(name);
                if (Files.isRegularFile(file)) {
                    sha.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    try (java.io.InputStream in = Files.newInputStream(file)) {
                        byte[] buf = new byte[SAMPLE_BYTES];
                        for (int n; (n = in.read(buf)) > 0; ) {
                            sha.update(buf, 0, n);
                        }
                    }
                }
            }
            for (Path file : Checkpoint.files(modelDir)) {
                sha.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    if (file.getFileName().toString().endsWith(".bin")) {
                        torchBin(sha, ch, file);
                    } else {
                        safetensors(sha, ch);
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the model in " + modelDir, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The header (names, dtypes, shapes, offsets) and samples of the data. */
    private static void safetensors(MessageDigest sha, FileChannel ch) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(len, 0);
        long header = len.flip().getLong();
        long size = ch.size();
        long dataStart = Math.min(size, 8 + Math.max(0, header));
        update(sha, ch, 0, dataStart);
        sample(sha, ch, dataStart, size - dataStart);
    }

    /**
     * The pickle (names, dtypes, shapes, strides), the zip directory (entry names, sizes and CRC-32 of
     * every storage, a cheap digest of all the data) and samples of the entries' data.
     */
    private static void torchBin(MessageDigest sha, FileChannel ch, Path file) throws IOException {
        StoredZip zip = StoredZip.read(ch, file.toString());
        for (StoredZip.Entry e : zip.entries().values()) {
            if (e.name().endsWith("/data.pkl")) {
                update(sha, ch, e.dataOffset(), e.compressedSize());
            }
        }
        update(sha, ch, zip.directoryOffset(), ch.size() - zip.directoryOffset());
        sample(sha, ch, 0, zip.directoryOffset());
    }

    /** {@link #SAMPLES} blocks of {@link #SAMPLE_BYTES} spread evenly over {@code [from, from + data)}. */
    private static void sample(MessageDigest sha, FileChannel ch, long from, long data) throws IOException {
        for (int i = 0; i < SAMPLES && data > 0; i++) {
            long at = from + (data - Math.min(data, SAMPLE_BYTES)) * i / Math.max(1, SAMPLES - 1);
            update(sha, ch, at, Math.min(data, SAMPLE_BYTES));
        }
    }

    private static void update(MessageDigest sha, FileChannel ch, long from, long length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, SAMPLE_BYTES));
        long pos = from;
        long left = length;
        while (left > 0) {
            buf.clear().limit((int) Math.min(left, buf.capacity()));
            int n = ch.read(buf, pos);
            if (n <= 0) {
                return;
            }
            buf.flip();
            sha.update(buf);
            pos += n;
            left -= n;
        }
    }
}
