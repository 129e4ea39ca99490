package org.shadowllm.jobs.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class CodeVersionTest {
    @Test
    void theBuiltCodeVersionNamesTheCommitAndHasNoUnresolvedPlaceholder() {
        String v = CodeVersion.current();
        assertFalse(v.contains("${"), v);
        assertTrue(v.matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\+([0-9a-f]{7,}(-dirty)?|unknown)( built \\S+)?"), v);
    }

    @Test
    void placeholdersABuildLeftUnfilledBecomeUnknown() {
        Properties p = new Properties();
        p.setProperty("version", "1.2.3");
        p.setProperty("commit", "${git.commit.id.abbrev}");
        p.setProperty("dirty", "${git.dirty}");
        p.setProperty("built", "${maven.build.timestamp}");
        assertEquals("1.2.3+unknown", CodeVersion.of(p));
        p.setProperty("commit", "abc1234");
        p.setProperty("dirty", "true");
        p.setProperty("built", "2026-11-30T12:00:00Z");
        assertEquals("1.2.3+abc1234-dirty built 2026-11-30T12:00:00Z", CodeVersion.of(p));
    }
}
