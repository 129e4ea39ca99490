package org.shadowllm.jobs.tasks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;

/**
 * Reads {@code <root>/<task>/<split>.jsonl.gz} through the Hadoop client, so the root may be a local
 * path, {@code hdfs://} or {@code s3a://}. Bad lines are collected with file and line, never skipped silently.
 */
public final class TaskReader {
    /**
     * The longest line read, in characters: the longest line of the seven tasks' files has 4,437;
     * a line over the bound is a malformed row (file and line), skipped without being held in memory.
     */
    public static final int DEFAULT_MAX_LINE_CHARS = 1 << 18;

    private final String root;
    private final Configuration hadoop;
    private final int maxLineChars;

    public TaskReader(String root, Configuration hadoop) {
        this(root, hadoop, DEFAULT_MAX_LINE_CHARS);
    }

    public TaskReader(String root, Configuration hadoop, int maxLineChars) {
        if (maxLineChars < 1) {
            throw new IllegalArgumentException("the line bound must be positive, got " + maxLineChars);
        }
        this.root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
        this.hadoop = hadoop;
        this.maxLineChars = maxLineChars;
    }

    /**
     * Records of one split, with the malformed lines found along the way, the file they came from, and
     * the SHA-256 of its raw bytes (what a re-run compares to skip unchanged input).
     */
    public record Split(List<TaskExample> examples, List<MalformedRow> malformed, String file, String digest) {}

    public Split read(FewShotTask task, String split) {
        Path path = new Path(root + "/" + task.file(split));
        String file = path.toString();
        List<TaskExample> examples = new ArrayList<>();
        List<MalformedRow> malformed = new ArrayList<>();
        java.util.Map<String, Long> seen = new java.util.HashMap<>();
        String digest;
        try {
            FileSystem fs = path.getFileSystem(hadoop);
            if (!fs.exists(path)) {
                throw new IllegalArgumentException(
                        "task file not found: " + file + " (is --data the folder that holds <task>/<split>.jsonl.gz?)");
            }
            CompressionCodec codec = new CompressionCodecFactory(hadoop).getCodec(path);
            try (DigestInputStream raw = new DigestInputStream(fs.open(path), MessageDigest.getInstance("SHA-256"));
                    InputStream in = codec == null ? raw : codec.createInputStream(raw);
                    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                BoundedLines lines = new BoundedLines(reader, maxLineChars);
                String line;
                long n = 0;
                while ((line = lines.next()) != null) {
                    n++;
                    if (line == BoundedLines.TOO_LONG) {
                        malformed.add(new MalformedRow(
                                file, n, "line longer than " + maxLineChars + " characters (the task reader's bound)"));
                        continue;
                    }
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        TaskExample ex = parse(task, line);
                        Long first = seen.putIfAbsent(ex.id(), n);
                        if (first != null) {
                            throw new IllegalArgumentException(
                                    "duplicate id '" + ex.id() + "' (first at line " + first + ")");
                        }
                        examples.add(ex);
                    } catch (JsonParseException
                            | IllegalArgumentException
                            | IllegalStateException
                            | NullPointerException
                            | UnsupportedOperationException
                            | ClassCastException e) {
                        malformed.add(new MalformedRow(file, n, e.getClass().getSimpleName() + ": " + e.getMessage()));
                    }
                }
                raw.transferTo(OutputStream.nullOutputStream()); // the digest covers the whole file
                digest = HexFormat.of().formatHex(raw.getMessageDigest().digest());
            }
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("task file not found: " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new Split(examples, malformed, file, digest);
    }

    /**
     * Lines as {@link BufferedReader#readLine} cuts them ({@code \n}, {@code \r} or {@code \r\n}), but a
     * line over the bound is read to its end without being kept, and comes back as {@link #TOO_LONG}.
     */
    static final class BoundedLines {
        static final String TOO_LONG = new String("<too long>");
        private final java.io.Reader in;
        private final int max;
        private final StringBuilder line = new StringBuilder();
        private int pushedBack = -2;

        BoundedLines(java.io.Reader in, int max) {
            this.in = in;
            this.max = max;
        }

        String next() throws IOException {
            line.setLength(0);
            boolean tooLong = false;
            boolean any = false;
            while (true) {
                int c = pushedBack != -2 ? pushedBack : in.read();
                pushedBack = -2;
                if (c < 0) {
                    return any ? (tooLong ? TOO_LONG : line.toString()) : null;
                }
                any = true;
                if (c == '\n' || c == '\r') {
                    if (c == '\r') {
                        int d = in.read();
                        if (d != '\n') {
                            pushedBack = d;
                        }
                    }
                    return tooLong ? TOO_LONG : line.toString();
                }
                if (!tooLong) {
                    if (line.length() == max) {
                        tooLong = true;
                        line.setLength(0);
                        line.trimToSize();
                    } else {
                        line.append((char) c);
                    }
                }
            }
        }
    }

    static TaskExample parse(FewShotTask task, String line) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        List<String> choices = strings(required(o, "choices").getAsJsonArray());
        List<String> partial = o.has("partial_contexts") ? strings(o.getAsJsonArray("partial_contexts")) : null;
        String continuation = o.has("continuation") ? o.get("continuation").getAsString() : null;
        return new TaskExample(
                task,
                required(o, "id").getAsString(),
                required(o, "context").getAsString(),
                choices,
                required(o, "label").getAsInt(),
                partial,
                continuation);
    }

    private static JsonElement required(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return e;
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>(a.size());
        for (JsonElement e : a) {
            out.add(e.getAsString());
        }
        return out;
    }
}
