package org.shadowllm.trainer.data;

/** Sizes of the trainer's arrays, computed in {@code long} and refused past Java's array limit. */
public final class ArraySizes {
    /** The largest Java array the JVM reliably allocates. */
    public static final long MAX = Integer.MAX_VALUE - 8;

    private ArraySizes() {}

    /** {@code rows × width} as an array length; past {@link #MAX}, an error that names what and why. */
    public static int of(long rows, long width, String what) {
        long n = Math.multiplyExact(rows, width);
        if (n > MAX || rows < 0 || width < 0) {
            throw new IllegalArgumentException(what + ": " + rows + " × " + width + " = " + n + " values exceed one "
                    + "Java array (" + MAX + "); select fewer rows (--tasks, --shots) or a smaller predictor "
                    + "(--hidden)");
        }
        return (int) n;
    }
}
