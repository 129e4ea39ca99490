package org.shadowllm.jobs.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Which code made an output: {@code <version>+<commit>[-dirty] built <time>}, from the build's git
 * state; {@code +unknown} where the build had no git checkout. Every job stamps it on what it writes.
 */
public final class CodeVersion {
    private CodeVersion() {}

    /** This build's code version, from the {@code shadowllm-build.properties} the build filtered. */
    public static String current() {
        try (InputStream in = CodeVersion.class.getResourceAsStream("/shadowllm-build.properties")) {
            if (in == null) {
                throw new IllegalStateException("shadowllm-build.properties is missing from the jobs jar");
            }
            Properties p = new Properties();
            p.load(in);
            return of(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The code version a build's properties name; a placeholder the build left unfilled counts as unknown. */
    static String of(Properties p) {
        String commit = resolved(p.getProperty("commit"));
        String version = resolved(p.getProperty("version"));
        String built = resolved(p.getProperty("built"));
        return (version == null ? "unknown" : version) + "+"
                + (commit == null
                        ? "unknown"
                        : commit + ("true".equals(resolved(p.getProperty("dirty"))) ? "-dirty" : ""))
                + (built == null ? "" : " built " + built);
    }

    /** A filtered build value, or null where the build left its placeholder. */
    private static String resolved(String v) {
        return v == null || v.isBlank() || v.contains("${") ? null : v.trim();
    }
}
