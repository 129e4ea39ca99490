package org.shadowllm.jobs.cli;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/** The jobs' command lines: {@code --option value} pairs, {@code --help}, and comma lists. */
public final class CommandLine {
    private CommandLine() {}

    /** The options given, by name without dashes; unknown options and {@code --help} throw with the usage text. */
    public static Map<String, String> parse(String[] args, Set<String> known, String usage) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                throw new UsageException(usage);
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new UsageException("expected --option value, got '" + a + "'\n" + usage);
            }
            m.put(a.substring(2), args[++i]);
        }
        for (String k : m.keySet()) {
            if (!known.contains(k)) {
                throw new UsageException("unknown option --" + k + "\n" + usage);
            }
        }
        return m;
    }

    /** The parsed items of a comma list, or {@code dflt} when the option is absent. */
    public static <T> List<T> list(String csv, Function<String, T> parse, List<T> dflt) {
        if (csv == null) {
            return dflt;
        }
        List<T> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(parse.apply(s.trim()));
            }
        }
        return out;
    }

    /**
     * Builds a job's options from parsed values. A number that does not parse, or a value the options
     * reject, becomes a {@link UsageException} carrying the reason and the usage text.
     */
    public static <O> O build(String usage, Supplier<O> options) {
        try {
            return options.get();
        } catch (NumberFormatException e) {
            throw new UsageException("not a number: " + e.getMessage() + "\n" + usage);
        } catch (UsageException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + "\n" + usage);
        }
    }

    /** {@code prefix-yyyyMMdd-HHmmss}, the run id when none is given. */
    public static String defaultRunId(String prefix) {
        return prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + String.format("%04x", new java.security.SecureRandom().nextInt(1 << 16));
    }

    /**
     * Throws unless {@code name} (a model's folder name, as it comes from a table) is one safe path
     * segment: it becomes a directory the jobs write and replace under their output.
     */
    public static String requirePathSegment(String what, String name) {
        return org.shadowllm.jobs.tables.SafeName.require(what, name);
    }

    /** Throws unless {@code runId} is safe in paths and partition values. */
    public static void requireRunId(String runId) {
        org.shadowllm.jobs.tables.SafeName.require("--run-id", runId);
    }

    /**
     * The name of the model folder {@code model} (the last segment of the normalized absolute path), which
     * names partitions and predictor folders; refused unless it is a safe name.
     */
    public static String requireModelName(String model) {
        java.nio.file.Path name =
                java.nio.file.Path.of(model).toAbsolutePath().normalize().getFileName();
        return requirePathSegment("the model folder's name", name == null ? "" : name.toString());
    }

    /** {@code true} or {@code false}, any case; anything else is refused naming the option. */
    public static boolean bool(String option, String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(option + " takes true or false, got '" + value + "'");
        };
    }

    /** A command line that cannot run; its message says why and gives the usage text. */
    public static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }
}
