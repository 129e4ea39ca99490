package org.shadowllm.common.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level BPE, as OPT uses it: split by GPT-2's regex, map each UTF-8 byte to a printable
 * character, then apply merges by rank. Pure Java, so it needs no native library and works the same
 * from {@code tokenizer.json} or from {@code vocab.json} + {@code merges.txt}.
 */
public final class ByteLevelBpeTokenizer {
    private static final Pattern SPLIT =
            Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final char[] BYTE_TO_CHAR = byteToUnicode();

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> mergeRanks;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final int bosTokenId;

    /**
     * @param vocab      token string (in byte-to-unicode form) to id
     * @param merges     merge pairs in priority order, each "left right"
     * @param bosTokenId prepended to every encoded input, or -1 for none
     */
    public ByteLevelBpeTokenizer(Map<String, Integer> vocab, List<String> merges, int bosTokenId) {
        this.vocab = Map.copyOf(vocab);
        Map<String, Integer> ranks = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            if (m.split(" ").length != 2) {
                throw new IllegalArgumentException("merge " + i + " is not two symbols: '" + m + "'");
            }
            ranks.putIfAbsent(m, i);
        }
        this.mergeRanks = ranks;
        this.bosTokenId = bosTokenId;
        for (char c : BYTE_TO_CHAR) {
            if (!this.vocab.containsKey(String.valueOf(c))) {
                throw new IllegalArgumentException(
                        "vocabulary lacks the byte symbol '" + c + "': not a byte-level BPE vocabulary");
            }
        }
    }

    public int bosTokenId() {
        return bosTokenId;
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** BOS followed by the tokens of {@code text}. */
    public int[] encodeWithBos(String text) {
        int[] body = encode(text);
        if (bosTokenId < 0) {
            return body;
        }
        int[] out = new int[body.length + 1];
        out[0] = bosTokenId;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** Tokens of {@code text}, with no special tokens. */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        List<int[]> pieces = new ArrayList<>();
        int total = 0;
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            int[] ids = cache.computeIfAbsent(m.group(), this::encodeWord);
            pieces.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int p = 0;
        for (int[] ids : pieces) {
            System.arraycopy(ids, 0, out, p, ids.length);
            p += ids.length;
        }
        return out;
    }

    private int[] encodeWord(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            symbols.add(String.valueOf(BYTE_TO_CHAR[b & 0xff]));
        }
        while (symbols.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            String left = symbols.get(best);
            String right = symbols.get(best + 1);
            List<String> merged = new ArrayList<>(symbols.size() - 1);
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size()
                        && symbols.get(i).equals(left)
                        && symbols.get(i + 1).equals(right)) {
                    merged.add(left + right);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(symbols.get(i));
            if (id == null) {
                throw new IllegalStateException(
                        "BPE symbol '" + symbols.get(i) + "' of '" + word + "' is not in the vocabulary");
            }
            ids[i] = id;
        }
        return ids;
    }

    private static char[] byteToUnicode() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            direct[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            direct[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            direct[b] = true;
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = direct[b] ? (char) b : (char) (256 + n++);
        }
        return map;
    }
}
