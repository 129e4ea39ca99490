package org.shadowllm.jobs.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.tasks.FewShotTask;

public class TaskReaderTest {
    @TempDir
    Path dir;

    public static void writeGz(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void malformedLinesAreCountedWithFileAndLine() throws IOException {
        writeGz(
                dir.resolve("copa/validation.jsonl.gz"),
                String.join(
                        "\n",
                        "{\"id\": \"a\", \"context\": \"c\", \"choices\": [\" x\", \" y\"], \"label\": 1}",
                        "{\"id\": \"b\", \"context\": \"c\", \"choices\": [\" x\"], \"label\": 3}",
                        "not json at all",
                        "",
                        "{\"id\": \"d\", \"choices\": [\" x\"], \"label\": 0}",
                        "{\"id\": \"e\", \"context\": \"c\", \"choices\": [\" x\"], \"label\": 0}"));
        TaskReader.Split s = new TaskReader(dir.toString(), new Configuration()).read(FewShotTask.COPA, "validation");
        assertEquals(2, s.examples().size());
        assertEquals(3, s.malformed().size());
        assertEquals(2, s.malformed().get(0).line());
        assertTrue(s.malformed().get(0).reason().contains("label 3"));
        assertEquals(3, s.malformed().get(1).line());
        assertEquals(5, s.malformed().get(2).line());
        assertTrue(s.malformed().get(2).reason().contains("missing field 'context'"));
        assertTrue(s.malformed().get(2).file().endsWith("copa/validation.jsonl.gz"));
    }

    @Test
    void winograndeWithoutPartialScoringFieldsIsMalformed() throws IOException {
        writeGz(
                dir.resolve("winogrande/validation.jsonl.gz"),
                "{\"id\": \"w\", \"context\": \"A _ b\", \"choices\": [\"x\", \"y\"], \"label\": 0}\n");
        TaskReader.Split s =
                new TaskReader(dir.toString(), new Configuration()).read(FewShotTask.WINOGRANDE, "validation");
        assertEquals(1, s.malformed().size());
        assertTrue(s.malformed().get(0).reason().contains("partial_contexts"));
    }

    @Test
    void missingTaskFileNamesThePath() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new TaskReader(dir.toString(), new Configuration())
                        .read(FewShotTask.RTE, "validation"));
        assertTrue(e.getMessage().contains("rte/validation.jsonl.gz"));
    }

    /** A corrupt or hostile line must not be held whole: it is a malformed row naming file and line. */
    @Test
    void aLineOverTheBoundIsAMalformedRowAndTheLinesAroundItStillRead() throws IOException {
        String ok = "{\"id\": \"a\", \"context\": \"c\", \"choices\": [\" x\", \" y\"], \"label\": 1}";
        String huge =
                "{\"id\": \"b\", \"context\": \"" + "x".repeat(5_000) + "\", \"choices\": [\" x\"], \"label\": 0}";
        String last = ok.replace("\"a\"", "\"c\"");
        writeGz(dir.resolve("copa/validation.jsonl.gz"), ok + "\r\n" + huge + "\r\n" + last + "\r" + "\n");
        TaskReader.Split s =
                new TaskReader(dir.toString(), new Configuration(), 1_000).read(FewShotTask.COPA, "validation");
        assertEquals(
                java.util.List.of("a", "c"),
                s.examples().stream().map(e -> e.id()).toList());
        assertEquals(1, s.malformed().size());
        assertEquals(2, s.malformed().get(0).line());
        assertTrue(
                s.malformed().get(0).reason().contains("longer than 1000 characters"),
                s.malformed().get(0).reason());
        assertTrue(s.malformed().get(0).file().endsWith("copa/validation.jsonl.gz"));
        // the same line under the default bound reads
        assertEquals(
                3,
                new TaskReader(dir.toString(), new Configuration())
                        .read(FewShotTask.COPA, "validation")
                        .examples()
                        .size());
    }

    @Test
    void boundedLinesCutLinesAsReadLineDoes() throws IOException {
        String text = "a\nbb\r\nccc\rdddd\n\neeeee";
        TaskReader.BoundedLines lines = new TaskReader.BoundedLines(new java.io.StringReader(text), 4);
        java.io.BufferedReader reference = new java.io.BufferedReader(new java.io.StringReader(text));
        for (String expected; (expected = reference.readLine()) != null; ) {
            String actual = lines.next();
            if (expected.length() > 4) {
                assertTrue(actual == TaskReader.BoundedLines.TOO_LONG, expected);
            } else {
                assertEquals(expected, actual);
            }
        }
        assertEquals(null, lines.next());
    }
}
