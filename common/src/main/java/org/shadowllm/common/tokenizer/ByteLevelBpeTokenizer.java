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
public final class ByteLevelBpeTokenizer implements Tokenizer {
    private static final Pattern SPLIT =
            Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final char[] BYTE_TO_CHAR = byteToUnicode();

    private final Map<String, Integer> vocab;
    /** (left id, right id) to (rank &lt;&lt; 32 | merged id), the merged id -1 when the vocabulary lacks it. */
    private final Map<Long, Long> merges;
    /** Each byte's symbol id. */
    private final int[] byteIds = new int[256];

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
        this.bosTokenId = bosTokenId;
        for (int b = 0; b < 256; b++) {
            Integer id = this.vocab.get(String.valueOf(BYTE_TO_CHAR[b]));
            if (id == null) {
                throw new IllegalArgumentException(
                        "vocabulary lacks the byte symbol '" + BYTE_TO_CHAR[b] + "': not a byte-level BPE vocabulary");
            }
            byteIds[b] = id;
        }
        Map<Long, Long> table = new HashMap<>();
        for (Map.Entry<String, Integer> e : ranks.entrySet()) {
            String[] parts = e.getKey().split(" ");
            Integer left = this.vocab.get(parts[0]);
            Integer right = this.vocab.get(parts[1]);
            if (left != null && right != null) {
                Integer merged = this.vocab.get(parts[0] + parts[1]);
                table.put(pairKey(left, right), (long) e.getValue() << 32 | (merged == null ? 0xffffffffL : merged));
            }
        }
        this.merges = table;
    }

    @Override
    public int bosTokenId() {
        return bosTokenId;
    }

    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        List<int[]> pieces = new ArrayList<>();
        int total = 0;
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            int[] ids = cached(m.group());
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

    /** Words longer than this are encoded but not cached, so hostile input cannot grow the cache without bound. */
    private static final int CACHED_WORD_CHARS = 256;

    private int[] cached(String word) {
        return word.length() <= CACHED_WORD_CHARS ? cache.computeIfAbsent(word, this::encodeWord) : encodeWord(word);
    }

    /**
     * GPT-2's merge loop, in O(n log n): adjacent pairs wait in a heap by (rank, position), and a pair
     * whose symbols changed since it was queued is dropped when it comes up (a rank names one pair, so
     * the pair now at that position still has the queued rank only if it is the same pair). A merge only
     * makes longer symbols, whose pairs rank after it, so this applies merges in GPT-2's order (the
     * lowest rank first, all its occurrences left to right) with the same result; GPT-2's plain loop
     * rescans the word per merge and took 9.5 s on one 1 MB word.
     */
    private int[] encodeWord(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        int[] sym = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteIds[bytes[i] & 0xff];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(Math.max(1, n));
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, sym, i, i + 1);
        }
        while (heap.size() > 0) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            int right = next[left];
            if (sym[left] < 0 || right < 0) {
                continue;
            }
            long merge = merges.getOrDefault(pairKey(sym[left], sym[right]), -1L);
            if (merge < 0 || (int) (merge >>> 32) != rank) {
                continue;
            }
            int merged = (int) merge;
            if (merged < 0) {
                throw new IllegalStateException(
                        "BPE merge " + rank + " of '" + word + "' makes a symbol that is " + "not in the vocabulary");
            }
            sym[left] = merged;
            sym[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
                offer(heap, sym, left, next[right]);
            }
            if (prev[left] >= 0) {
                offer(heap, sym, prev[left], left);
            }
        }
        int count = 0;
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            count++;
        }
        int[] ids = new int[count];
        int k = 0;
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            ids[k++] = sym[i];
        }
        return ids;
    }

    private void offer(LongHeap heap, int[] sym, int left, int right) {
        long merge = merges.getOrDefault(pairKey(sym[left], sym[right]), -1L);
        if (merge >= 0) {
            heap.add((merge >>> 32) << 32 | left);
        }
    }

    private static long pairKey(int left, int right) {
        return (long) left << 32 | (right & 0xffffffffL);
    }

    /** A binary min-heap of longs: the merge queue without a boxed entry per pair. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[capacity];
        }

        int size() {
            return size;
        }

        void add(long v) {
            if (size == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            int i = size++;
            while (i > 0 && a[(i - 1) / 2] > v) {
                a[i] = a[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (2 * i + 1 < size) {
                int c = 2 * i + 1;
                if (c + 1 < size && a[c + 1] < a[c]) {
                    c++;
                }
                if (a[c] >= last) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
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
