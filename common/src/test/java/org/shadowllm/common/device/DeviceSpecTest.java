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
