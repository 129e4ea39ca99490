package org.shadowllm.common.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

class DeviceSpecTest {
    @Test
    void autoPicksFirstGpuWhenVisibleElseCpu() {
        assertEquals(Device.cpu(), DeviceSpec.parse("auto").resolve(0));
        assertEquals(Device.gpu(0), DeviceSpec.parse("auto").resolve(2));
    }

    @Test
    void explicitGpuIndexIsHonouredAndCheckedAgainstVisibleGpus() {
        assertEquals(Device.gpu(1), DeviceSpec.parse("gpu:1").resolve(2));
        assertEquals(Device.gpu(0), DeviceSpec.parse("GPU").resolve(1));
        assertEquals(Device.cpu(), DeviceSpec.parse("cpu").resolve(4));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> DeviceSpec.parse("gpu:3").resolve(1));
        assertTrue(e.getMessage().contains("gpu:3"));
    }

    @Test
    void aSparkGpuAddressMapsToItsPositionInCudaVisibleDevices() {
        // CUDA_VISIBLE_DEVICES=2,3: the executor's process sees physical GPU 3 as ordinal 1
        assertEquals(1, DeviceSpec.forGpuAddress("3", "2,3").gpuIndex());
        assertEquals(
                0, DeviceSpec.forGpuAddress("GPU-8f2a", "GPU-8f2a,GPU-11c4").gpuIndex());
        assertEquals(3, DeviceSpec.forGpuAddress("3", null).gpuIndex(), "no mask: the address is the ordinal");
        assertEquals(3, DeviceSpec.forGpuAddress("3", "").gpuIndex());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> DeviceSpec.forGpuAddress("5", "2,3"));
        assertTrue(e.getMessage().contains("not among CUDA_VISIBLE_DEVICES=2,3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceSpec.forGpuAddress("GPU-8f2a", null));
    }

    @Test
    void malformedDevicesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("tpu"));
        assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("gpu:x"));
        assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("gpu:-1"));
    }

    /** The engine starts from the Maven Central native jar with DJL's offline mode on: no download. */
    @Test
    void pytorchEngineStartsOfflineFromBundledNativeJar() {
        assertTrue(Utils.isOfflineMode(), "ai.djl.offline must be true in tests and jobs");
        assertEquals("true", System.getenv("OPT_OUT_TRACKING"));
        Engine engine = Engine.getEngine("PyTorch");
        assertEquals("2.7.1", engine.getVersion());
        assertEquals(Device.cpu(), DeviceSpec.parse("auto").resolve(engine.getGpuCount()));
    }
}
