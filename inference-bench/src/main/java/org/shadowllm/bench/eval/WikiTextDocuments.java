package org.shadowllm.bench.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * WikiText-2 raw test as lm-evaluation-harness's document-level task sees it: one document per article
 * (an article starts at a top-level heading line {@code " = Title = "}), scored after its detokenizer,
 * with words counted on the raw text.
 */
public final class WikiTextDocuments {
    private static final Pattern TITLE = Pattern.compile("^ = [^=].* = $");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    private WikiTextDocuments() {}

    /** Articles, each its lines joined with a newline after every line; lines before the first title join it. */
    public static List<String> articles(List<String> lines) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean titled = false;
        for (String line : lines) {
            if (TITLE.matcher(line).matches()) {
                if (titled) {
                    out.add(current.toString());
                    current.setLength(0);
                }
                titled = true;
            }
            current.append(line).append('\n');
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        return out;
    }

    /** The harness's word count: {@code len(re.split(r"\s+", doc))} on the raw article. */
    public static int words(String raw) {
        return WHITESPACE.split(raw, -1).length;
    }

    /** The harness's {@code wikitext_detokenizer}: undoes WikiText's spaced punctuation and number separators. */
    public static String detokenize(String s) {
        s = s.replace("s '", "s'");
        s = s.replaceAll("/' [0-9]/", "/'[0-9]/");
        s = s.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".");
        s = s.replace(" : ", ": ")
                .replace(" ; ", "; ")
                .replace(" . ", ". ")
                .replace(" ! ", "! ")
                .replace(" ? ", "? ")
                .replace(" , ", ", ");
        s = s.replaceAll("\\(\\s*([^)]*?)\\s*\\)", "($1)");
        s = s.replaceAll("\\[\\s*([^\\]]*?)\\s*\\]", "[$1]");
        s = s.replaceAll("\\{\\s*([^}]*?)\\s*\\}", "{$1}");
        s = s.replaceAll("\"\\s*([^\"]*?)\\s*\"", "\"$1\"");
        s = s.replaceAll("'\\s*([^']*?)\\s*'", "'$1'");
        s = s.replace("= = = =", "====").replace("= = =", "===").replace("= =", "==");
        s = s.replace(" \u00b0 ", "\u00b0");
        s = s.replace(" \n", "\n").replace("\n ", "\n");
        s = s.replace(" N ", " 1 ");
        s = s.replace(" 's", "'s");
        return s;
    }
}
