package org.shadowllm.common.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.nio.file.Path;

/**
 * Typed reads of a model's {@code config.json}. Integers are taken exactly: Gson's {@code getAsInt}
 * narrows {@code 4294967424} to {@code 128} and {@code 12.5} to {@code 12}, which would run a model of
 * another shape than the file says; here either is refused naming the key.
 */
public final class ConfigJson {
    private ConfigJson() {}

    /** A required non-negative integer that fits an {@code int}. */
    public static int integer(JsonObject c, String key, Path file) {
        JsonElement e = c.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(file + ": missing '" + key + "'");
        }
        return exact(e, key, file);
    }

    /** An optional non-negative integer, {@code dflt} when absent or null. */
    public static int integer(JsonObject c, String key, int dflt, Path file) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? dflt : exact(e, key, file);
    }

    /** An optional finite number, {@code dflt} when absent or null. */
    public static double number(JsonObject c, String key, double dflt, Path file) {
        JsonElement e = c.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (!(e instanceof JsonPrimitive p) || !p.isNumber() || !Double.isFinite(p.getAsDouble())) {
            throw new IllegalArgumentException(file + ": '" + key + "' must be a finite number, was " + e);
        }
        return p.getAsDouble();
    }

    /**
     * An optional boolean, {@code dflt} when absent or null. Only JSON {@code true}/{@code false}: Gson's
     * {@code getAsBoolean} reads {@code 1} or {@code "yes"} as false, which would silently drop a flag.
     */
    public static boolean bool(JsonObject c, String key, boolean dflt) {
        JsonElement e = c.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (!(e instanceof JsonPrimitive p) || !p.isBoolean()) {
            throw new IllegalArgumentException("'" + key + "' must be true or false, was " + e);
        }
        return p.getAsBoolean();
    }

    /** An optional string, {@code dflt} when absent or null. */
    public static String string(JsonObject c, String key, String dflt) {
        return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsString() : dflt;
    }

    private static int exact(JsonElement e, String key, Path file) {
        BigDecimal v;
        try {
            if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
                throw new NumberFormatException();
            }
            v = p.getAsBigDecimal();
        } catch (NumberFormatException | UnsupportedOperationException x) {
            throw new IllegalArgumentException(file + ": '" + key + "' must be an integer, was " + e);
        }
        try {
            int i = v.intValueExact();
            if (i < 0) {
                throw new ArithmeticException();
            }
            return i;
        } catch (ArithmeticException x) {
            throw new IllegalArgumentException(file + ": '" + key + "' must be an integer from 0 to "
                    + Integer.MAX_VALUE + ", was " + v.toPlainString());
        }
    }
}
