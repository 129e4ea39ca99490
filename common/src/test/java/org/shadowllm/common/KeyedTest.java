package org.shadowllm.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.checkpoint.CheckpointFormat;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.safetensors.SafetensorsDtype;
import org.shadowllm.common.tasks.FewShotTask;

/** The one rule from text to an enum constant: key or alias, trimmed, any case; else an error listing the keys. */
class KeyedTest {
    /** The keys as tables, checkpoints and command lines have always written them. */
    @Test
    void theKeysAreTheSpellingsTheTablesAndCommandLinesUse() {
        assertEquals(
                List.of("piqa", "copa", "openbookqa", "winogrande", "rte", "hellaswag", "arc_easy"),
                keys(FewShotTask.class));
        assertEquals(
                List.of("l2norm", "gradnorm", "plainact", "fisher", "snip", "nwot", "grasp"),
                keys(ImportanceCriterion.class));
        assertEquals(List.of("shadowllm", "shadowllm-split", "dejavu", "dejavu-inflated"), keys(PredictorKind.class));
        assertEquals(List.of("plan", "last"), keys(FeaturePosition.class));
        assertEquals(List.of("safetensors", "bin"), keys(CheckpointFormat.class));
        assertEquals(
                List.of("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"),
                keys(SafetensorsDtype.class));
    }

    @Test
    void everyKeyParsesBackToItsConstantTrimmedAndInAnyCase() {
        for (Class<? extends Enum<?>> type : List.<Class<? extends Enum<?>>>of(
                FewShotTask.class,
                ImportanceCriterion.class,
                PredictorKind.class,
                FeaturePosition.class,
                CheckpointFormat.class,
                SafetensorsDtype.class)) {
            for (Enum<?> e : type.getEnumConstants()) {
                String key = ((Keyed) e).key();
                assertSame(e, parse(type, key));
                assertSame(e, parse(type, " " + key.toUpperCase(Locale.ROOT) + "\t"));
                assertSame(e, parse(type, key.toLowerCase(Locale.ROOT)));
            }
        }
    }

    @Test
    void eachEnumsOwnParseFollowsTheRule() {
        assertSame(FewShotTask.ARC_EASY, FewShotTask.parse(" ARC_Easy"));
        assertSame(ImportanceCriterion.GRASP, ImportanceCriterion.parse("Grasp "));
        assertSame(PredictorKind.DEJAVU_INFLATED, PredictorKind.parse("DEJAVU-INFLATED"));
        assertSame(FeaturePosition.LAST_INPUT, FeaturePosition.parse(" last"));
    }

    @Test
    void anAliasParsesToItsConstant() {
        assertSame(FewShotTask.ARC_EASY, FewShotTask.parse("arc-easy"));
        assertEquals(List.of("arc-easy"), FewShotTask.ARC_EASY.aliases());
        assertEquals(List.of(), FewShotTask.PIQA.aliases());
    }

    @Test
    void anUnknownKeyIsRefusedNamingTheTypeTheTextAndEveryKey() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImportanceCriterion.parse("l2"));
        assertEquals(
                "unknown importance criterion 'l2'; expected l2norm, gradnorm, plainact, fisher, snip, nwot or grasp",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FeaturePosition.parse("first"));
        assertEquals("unknown feature position 'first'; expected plan or last", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Keyed.parse(Nested.Single.class, ""));
        assertEquals("unknown single ''; expected only", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Keyed.parse(PredictorKind.class, null));
        assertEquals(
                "unknown predictor kind 'null'; expected shadowllm, shadowllm-split, dejavu or dejavu-inflated",
                e.getMessage());
    }

    @Test
    void noTwoConstantsShareAKeyOrAlias() {
        for (Class<? extends Enum<?>> type : List.<Class<? extends Enum<?>>>of(
                FewShotTask.class,
                ImportanceCriterion.class,
                PredictorKind.class,
                FeaturePosition.class,
                CheckpointFormat.class,
                SafetensorsDtype.class)) {
            Set<String> seen = new HashSet<>();
            int spellings = 0;
            for (Enum<?> e : type.getEnumConstants()) {
                Keyed k = (Keyed) e;
                seen.add(k.key().toLowerCase(Locale.ROOT));
                k.aliases().forEach(a -> seen.add(a.toLowerCase(Locale.ROOT)));
                spellings += 1 + k.aliases().size();
            }
            assertEquals(spellings, seen.size(), type.getSimpleName());
        }
    }

    private static final class Nested {
        enum Single implements Keyed {
            ONLY;

            @Override
            public String key() {
                return "only";
            }
        }
    }

    private static List<String> keys(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants())
                .map(e -> ((Keyed) e).key())
                .toList();
    }

    // the test's types are all Keyed enums; Class<? extends Enum<?>> cannot say so
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Enum<?> parse(Class<? extends Enum<?>> type, String text) {
        return (Enum<?>) Keyed.parse((Class) type, text);
    }
}
