package org.shadowllm.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An enum whose constants are written as short keys: on command lines, in table columns and in reports.
 * {@link #parse} is the one way back from text to a constant, with one rule for every such enum.
 */
public interface Keyed {
    /** How this constant is written. */
    String key();

    /** Other spellings {@link #parse} accepts for this constant; none unless the enum has always taken them. */
    default List<String> aliases() {
        return List.of();
    }

    /**
     * The constant of {@code type} whose key or alias is {@code text}, trimmed, in any case. Anything else is
     * refused with "unknown {@code <type name in words>} '{@code text}'; expected {@code <every key>}".
     */
    static <E extends Enum<E> & Keyed> E parse(Class<E> type, String text) {
        if (text != null) {
            String wanted = text.trim().toLowerCase(Locale.ROOT);
            for (E e : type.getEnumConstants()) {
                if (e.key().toLowerCase(Locale.ROOT).equals(wanted)) {
                    return e;
                }
                for (String alias : e.aliases()) {
                    if (alias.toLowerCase(Locale.ROOT).equals(wanted)) {
                        return e;
                    }
                }
            }
        }
        throw new IllegalArgumentException("unknown " + inWords(type) + " '" + text + "'; expected " + keysOf(type));
    }

    /** The keys of {@code type}'s constants as a sentence: "a, b or c". */
    static <E extends Enum<E> & Keyed> String keysOf(Class<E> type) {
        List<String> keys = new ArrayList<>();
        for (Keyed k : type.getEnumConstants()) {
            keys.add(k.key());
        }
        if (keys.size() < 2) {
            return String.join("", keys);
        }
        return String.join(", ", keys.subList(0, keys.size() - 1)) + " or " + keys.get(keys.size() - 1);
    }

    /** {@code FewShotTask} as "few shot task": the type's name as an error message says it. */
    private static String inWords(Class<?> type) {
        return type.getSimpleName().replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }
}
