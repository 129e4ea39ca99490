package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of every layer for the tokens decoded so far, {@code [B, H, T, dHead]} each.
 * Owns its tensors; close it when the sequence is done.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Number of positions already cached. */
    public int length() {
        return length;
    }

    /** Appends this step's keys and values of {@code layer} and returns the full ones. */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray fullK =
                keys[layer] == null ? k.duplicate() : NDArrays.concat(new ai.djl.ndarray.NDList(keys[layer], k), 2);
        NDArray fullV =
                values[layer] == null ? v.duplicate() : NDArrays.concat(new ai.djl.ndarray.NDList(values[layer], v), 2);
        fullK.attach(manager);
        fullV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = fullK;
        values[layer] = fullV;
        return new NDArray[] {fullK, fullV};
    }

    /** Keys of {@code layer} for every cached position, {@code [B, H, T, dHead]}; null before the first append. */
    public NDArray keys(int layer) {
        return keys[layer];
    }

    /** Values of {@code layer}, as {@link #keys}. */
    public NDArray values(int layer) {
        return values[layer];
    }

    /** Marks {@code tokens} more positions as cached, once every layer has appended them. */
    public void advance(int tokens) {
        length += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
