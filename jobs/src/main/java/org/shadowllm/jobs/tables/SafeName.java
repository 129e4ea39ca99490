package org.shadowllm.jobs.tables;

import java.util.regex.Pattern;

/**
 * A user-given name that becomes one path segment under an output (a run id, a model folder's name):
 * a letter or digit, then letters, digits, {@code .}, {@code _} and {@code -}. So never {@code .} or
 * {@code ..} (Hadoop's {@code Path} resolves {@code _staging/..} to the output itself, which a clean-up
 * then deleted), never a {@code _} or {@code .} name (Spark and the commit skip those as hidden: a run
 * {@code _nightly} committed its tables without its manifest), never a separator.
 */
public final class SafeName {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private SafeName() {}

    public static boolean isSafe(String name) {
        return name != null && name.length() <= 200 && SAFE.matcher(name).matches();
    }

    /** {@code name}, or an {@link IllegalArgumentException} that says what {@code what} may hold. */
    public static String require(String what, String name) {
        if (!isSafe(name)) {
            throw new IllegalArgumentException(what + " must start with a letter or digit and hold only letters, "
                    + "digits, '.', '_' and '-' (at most 200), since it names a folder under the output: '" + name
                    + "'");
        }
        return name;
    }
}
