package org.shadowllm.trainer.data;

/** A network's training rows, read by index: each row's scaled input and its targets. */
public interface NetworkRows {
    int rows();

    int inputWidth();

    int targetWidth();

    /** Copies row {@code row}'s input to {@code x[xOffset..]} and its targets to {@code y[yOffset..]}. */
    void read(int row, float[] x, int xOffset, float[] y, int yOffset);

    /**
     * Rows stored as {@code input ‖ targets} in {@code file}, visited in the order {@code positions}
     * gives: row {@code i} is the file's row {@code positions[i]}.
     */
    static NetworkRows stored(RowFile file, int inputWidth, int[] positions) {
        int targetWidth = file.width() - inputWidth;
        if (inputWidth < 1 || targetWidth < 1) {
            throw new IllegalArgumentException(
                    "rows of " + file.width() + " values cannot hold an input of " + inputWidth + " and targets");
        }
        file.requireRows(positions);
        float[] row = new float[file.width()];
        return new NetworkRows() {
            @Override
            public int rows() {
                return positions.length;
            }

            @Override
            public int inputWidth() {
                return inputWidth;
            }

            @Override
            public int targetWidth() {
                return targetWidth;
            }

            @Override
            public void read(int index, float[] x, int xOffset, float[] y, int yOffset) {
                file.read(positions[index], row, 0);
                System.arraycopy(row, 0, x, xOffset, inputWidth);
                System.arraycopy(row, inputWidth, y, yOffset, targetWidth);
            }
        };
    }
}
