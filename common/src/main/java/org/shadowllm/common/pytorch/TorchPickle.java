package org.shadowllm.common.pytorch;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import org.shadowllm.common.safetensors.SafetensorsDtype;

/**
 * Reads the {@code data.pkl} of a {@code torch.save} checkpoint with an allow-list of globals. Every
 * opcode that names a class or function (GLOBAL, STACK_GLOBAL, INST) resolves it here, against
 * {@link #ALLOWED} only, and anything else throws {@link UnsafePickleException} before it could be called;
 * so REDUCE, NEWOBJ and OBJ only ever call the constructors below, which build plain records. Razorvine's
 * own registry (static, JVM-wide) and its reflective BUILD are never used. Dicts are built here too,
 * ordered (razorvine's are HashMaps), so a state dict keeps the order it was saved in.
 */
final class TorchPickle extends Unpickler {
    /** A tensor storage's element type, as the pickle names it ({@code torch.HalfStorage}). */
    record StorageType(String global, SafetensorsDtype dtype) implements IObjectConstructor {
        StorageType {
            if (global == null || dtype == null) {
                throw new IllegalArgumentException("storage type needs a name and a dtype");
            }
        }

        @Override
        public Object construct(Object[] args) {
            throw new PickleException("calling " + global + " is not supported (storages come by persistent id)");
        }
    }

    /** A persistent id {@code ('storage', type, key, location, numel)}: entry {@code data/<key>} of the zip. */
    record StorageRef(StorageType type, String key, long numel) {
        StorageRef {
            if (type == null || key == null || key.isEmpty() || numel < 0) {
                throw new IllegalArgumentException("bad storage reference " + key);
            }
        }
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)}: a strided view of a storage. */
    record TensorView(StorageRef storage, long offset, long[] shape, long[] stride) {
        TensorView {
            if (storage == null || offset < 0 || shape.length != stride.length) {
                throw new IllegalArgumentException("bad tensor view");
            }
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    throw new IllegalArgumentException(
                            "negative size or stride " + Arrays.toString(shape) + " / " + Arrays.toString(stride));
                }
            }
            shape = shape.clone();
            stride = stride.clone();
        }
    }

    /** {@code collections.OrderedDict}; attributes set on it by BUILD (a state dict's {@code _metadata}) are ignored. */
    static final class StateDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    private static final Map<String, IObjectConstructor> CONSTRUCTORS = constructors();

    /** The globals a state-dict pickle may name. */
    static final Set<String> ALLOWED = new TreeSet<>(CONSTRUCTORS.keySet());

    private static Map<String, IObjectConstructor> constructors() {
        Map<String, IObjectConstructor> m = new LinkedHashMap<>();
        m.put("collections.OrderedDict", args -> {
            if (args.length != 0) {
                throw new PickleException("OrderedDict with arguments is not supported");
            }
            return new StateDict();
        });
        m.put("torch._utils._rebuild_tensor_v2", TorchPickle::rebuildTensor);
        // (data, requires_grad, backward_hooks): a Parameter is its data here
        m.put("torch._utils._rebuild_parameter", args -> {
            if (args.length < 1 || !(args[0] instanceof TensorView)) {
                throw new PickleException("_rebuild_parameter without a tensor");
            }
            return args[0];
        });
        storage(m, "torch.DoubleStorage", SafetensorsDtype.F64);
        storage(m, "torch.FloatStorage", SafetensorsDtype.F32);
        storage(m, "torch.HalfStorage", SafetensorsDtype.F16);
        storage(m, "torch.BFloat16Storage", SafetensorsDtype.BF16);
        // integer buffers (position ids, masks) may sit in a state dict; they list, but read as floats never
        storage(m, "torch.LongStorage", SafetensorsDtype.I64);
        storage(m, "torch.IntStorage", SafetensorsDtype.I32);
        storage(m, "torch.ShortStorage", SafetensorsDtype.I16);
        storage(m, "torch.CharStorage", SafetensorsDtype.I8);
        storage(m, "torch.ByteStorage", SafetensorsDtype.U8);
        storage(m, "torch.BoolStorage", SafetensorsDtype.BOOL);
        return Map.copyOf(m);
    }

    private static void storage(Map<String, IObjectConstructor> m, String global, SafetensorsDtype dtype) {
        m.put(global, new StorageType(global, dtype));
    }

    private final String file;

    private TorchPickle(String file) {
        this.file = file;
    }

    /** The unpickled top-level object of {@code pickle}; {@code file} names it in errors. */
    static Object load(byte[] pickle, String file) {
        TorchPickle u = new TorchPickle(file);
        try {
            return u.load(new ByteArrayInputStream(pickle));
        } catch (UnsafePickleException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new TorchBinException(file, "malformed pickle: " + e.getMessage(), e);
        } finally {
            u.close();
        }
    }

    @Override
    protected Object dispatch(short key) throws IOException {
        requireLengthFits(key);
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw new PickleException("STACK_GLOBAL of non-strings");
                }
                stack.add(resolve(m, n));
            }
            case Opcodes.INST -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                IObjectConstructor c = resolve(module, name);
                List<Object> args = stack.pop_all_since_marker();
                stack.add(c.construct(args.toArray()));
            }
            case Opcodes.BUILD -> {
                stack.pop();
                if (!(stack.peek() instanceof StateDict)) {
                    throw new PickleException(
                            "BUILD (setting state) on " + describe(stack.peek()) + " is not supported");
                }
            }
            case Opcodes.PERSID -> throw new PickleException("text persistent ids are not a torch.save format");
            case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<>());
            case Opcodes.DICT -> stack.add(putAll(new LinkedHashMap<>(), stack.pop_all_since_marker()));
            case Opcodes.SETITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                if (!(stack.peek() instanceof Map<?, ?> dict)) {
                    throw new PickleException("SETITEMS on " + describe(stack.peek()));
                }
                @SuppressWarnings("unchecked")
                Map<Object, Object> target = (Map<Object, Object>) dict;
                putAll(target, items);
            }
            default -> {
                return super.dispatch(key);
            }
        }
        return NO_RETURN_VALUE;
    }

    /**
     * Razorvine allocates a length-prefixed string or bytes before reading it: a forged length would ask
     * for gigabytes. The pickle is all in memory, so a length past its end is refused first.
     */
    private void requireLengthFits(short key) throws IOException {
        int width =
                switch (key) {
                    case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> 4;
                    case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> 8;
                    default -> 0;
                };
        if (width == 0) {
            return;
        }
        input.mark(width);
        byte[] b = input.readNBytes(width);
        input.reset();
        if (b.length < width) {
            throw new PickleException("pickle ends inside a length");
        }
        long length = 0;
        for (int i = width - 1; i >= 0; i--) {
            length = (length << 8) | (b[i] & 0xff);
        }
        if (length < 0 || length > input.available() - width) {
            throw new PickleException("a length of " + length + " runs past the end of the pickle");
        }
    }

    private static Map<Object, Object> putAll(Map<Object, Object> dict, List<Object> keysAndValues) {
        if (keysAndValues.size() % 2 != 0) {
            throw new PickleException("odd number of dict items");
        }
        for (int i = 0; i < keysAndValues.size(); i += 2) {
            dict.put(keysAndValues.get(i), keysAndValues.get(i + 1));
        }
        return dict;
    }

    private IObjectConstructor resolve(String module, String name) {
        String global = module + "." + name;
        IObjectConstructor c = CONSTRUCTORS.get(global);
        if (c == null) {
            throw new UnsafePickleException(file, global);
        }
        return c;
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t)
                || t.length != 5
                || !"storage".equals(t[0])
                || !(t[1] instanceof StorageType type)
                || !(t[2] instanceof String storageKey)) {
            throw new PickleException("persistent id " + describe(pid) + " is not ('storage', type, key, location, n)");
        }
        return new StorageRef(type, storageKey, integer(t[4], "storage size"));
    }

    private static Object rebuildTensor(Object[] args) {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
            throw new PickleException("_rebuild_tensor_v2 without a storage");
        }
        long[] shape = longs(args[2], "size");
        long[] stride = longs(args[3], "stride");
        if (shape.length != stride.length) {
            throw new PickleException(
                    "size " + Arrays.toString(shape) + " and stride " + Arrays.toString(stride) + " differ in rank");
        }
        try {
            return new TensorView(storage, integer(args[1], "storage offset"), shape, stride);
        } catch (IllegalArgumentException e) {
            throw new PickleException(e.getMessage());
        }
    }

    private static long[] longs(Object o, String what) {
        if (!(o instanceof Object[] t)) {
            throw new PickleException(what + " is not a tuple: " + describe(o));
        }
        long[] out = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = integer(t[i], what);
        }
        return out;
    }

    private static long integer(Object o, String what) {
        if (o instanceof Integer || o instanceof Long) {
            return ((Number) o).longValue();
        }
        throw new PickleException(what + " is not an integer: " + describe(o));
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }
}
