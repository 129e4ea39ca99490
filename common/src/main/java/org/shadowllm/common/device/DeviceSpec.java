package org.shadowllm.common.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Where the model runs: {@code auto} (first GPU if the engine sees one, else CPU), {@code cpu},
 * {@code gpu} or {@code gpu:N}.
 */
public record DeviceSpec(Kind kind, int gpuIndex) {
    public enum Kind {
        AUTO,
        CPU,
        GPU
    }

    public DeviceSpec {
        if (gpuIndex < 0) {
            throw new IllegalArgumentException("GPU index must be ≥ 0, was " + gpuIndex);
        }
    }

    public static DeviceSpec parse(String text) {
        String s = text == null ? "auto" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return new DeviceSpec(Kind.AUTO, 0);
        }
        if (s.equals("cpu")) {
            return new DeviceSpec(Kind.CPU, 0);
        }
        if (s.equals("gpu") || s.equals("cuda")) {
            return new DeviceSpec(Kind.GPU, 0);
        }
        if (s.startsWith("gpu:") || s.startsWith("cuda:")) {
            String n = s.substring(s.indexOf(':') + 1);
            try {
                return new DeviceSpec(Kind.GPU, Integer.parseInt(n));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad GPU index in device '" + text + "'");
            }
        }
        throw new IllegalArgumentException("unknown device '" + text + "'; use auto, cpu, gpu or gpu:N");
    }

    /** Resolves against the GPUs the engine can see; asking for a missing GPU is an error. */
    public Device resolve(int visibleGpus) {
        return switch (kind) {
            case CPU -> Device.cpu();
            case AUTO -> visibleGpus > 0 ? Device.gpu(0) : Device.cpu();
            case GPU -> {
                if (gpuIndex >= visibleGpus) {
                    throw new IllegalArgumentException("device gpu:" + gpuIndex + " requested but the engine sees "
                            + visibleGpus + " GPU(s)" + (visibleGpus == 0 ? " (CPU-only libtorch?)" : ""));
                }
                yield Device.gpu(gpuIndex);
            }
        };
    }

    /**
     * The in-process CUDA ordinal of a GPU that a resource manager named by {@code address}. Where
     * {@code CUDA_VISIBLE_DEVICES} is set ({@code visible}), addresses are the ids listed there (as the
     * discovery script reports them), and the process sees them as 0, 1, ... in that order; otherwise
     * the address is the ordinal.
     */
    public static DeviceSpec forGpuAddress(String address, String visible) {
        String a = address.trim();
        if (visible != null && !visible.isBlank()) {
            String[] ids = visible.split(",");
            for (int i = 0; i < ids.length; i++) {
                if (ids[i].trim().equals(a)) {
                    return new DeviceSpec(Kind.GPU, i);
                }
            }
            throw new IllegalArgumentException("GPU address " + a + " is not among CUDA_VISIBLE_DEVICES=" + visible
                    + "; the discovery script and the executor's environment disagree");
        }
        try {
            return new DeviceSpec(Kind.GPU, Integer.parseInt(a));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "GPU address '" + a + "' is not an ordinal and CUDA_VISIBLE_DEVICES is not set to map it");
        }
    }

    public Device resolve() {
        return resolve(Engine.getInstance().getGpuCount());
    }

    @Override
    public String toString() {
        return kind == Kind.GPU ? "gpu:" + gpuIndex : kind.name().toLowerCase(Locale.ROOT);
    }
}
