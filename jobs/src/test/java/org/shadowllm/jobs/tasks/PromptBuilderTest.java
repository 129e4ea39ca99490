package org.shadowllm.jobs.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptBuilder;
import org.shadowllm.common.tasks.TaskExample;

/** Prompt strings, pinned for the first validation example of every task (lm-evaluation-harness format). */
class PromptBuilderTest {
    private static final TaskReader READER =
            new TaskReader(SharedPaths.root().resolve("data/tasks").toString(), new Configuration());

    private static TaskExample first(FewShotTask task) {
        return READER.read(task, task.evalSplit()).examples().get(0);
    }

    private static void assertZeroShot(FewShotTask task, String id, String context, String continuation) {
        TaskExample ex = first(task);
        assertEquals(id, ex.id());
        Prompt p = new PromptBuilder(1).build(ex, 0, List.of());
        assertEquals(context, p.context(), task + " context");
        assertEquals(continuation, p.continuation(), task + " continuation");
    }

    @Test
    void piqaPromptIsQuestionAnswer() {
        assertZeroShot(
                FewShotTask.PIQA,
                "piqa-validation-0",
                "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
                " Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will "
                        + "also need to supply it with a water bottle and a food dish.");
    }

    @Test
    void copaPromptJoinsPremiseWithConnectiveAndLowercasedChoice() {
        assertZeroShot(
                FewShotTask.COPA,
                "copa-validation-0",
                "The man turned on the faucet therefore",
                " water flowed from the spout.");
    }

    @Test
    void openbookqaPromptIsTheQuestionStem() {
        assertZeroShot(
                FewShotTask.OPENBOOKQA,
                "8-376",
                "Frilled sharks and angler fish live far beneath the surface of "
                        + "the ocean, which is why they are known as",
                " Deep sea animals");
    }

    @Test
    void winograndeScoresTheSentenceTailAfterTheGoldPartialContext() {
        assertZeroShot(
                FewShotTask.WINOGRANDE,
                "3FCO4VKOZ4BJQ6IFC0VAIBK4KTWE7U-2",
                "Sarah was a much better surgeon than Maria so Maria",
                " always got the easier cases.");
    }

    @Test
    void rtePromptAsksTrueOrFalse() {
        assertZeroShot(
                FewShotTask.RTE,
                "rte-validation-0",
                "Dana Reeve, the widow of the actor Christopher Reeve, has "
                        + "died of lung cancer at age 44, according to the Christopher Reeve Foundation.\nQuestion: Christopher "
                        + "Reeve had an accident. True or False?\nAnswer:",
                " False");
    }

    @Test
    void hellaswagPromptIsPreprocessedActivityAndContext() {
        assertZeroShot(
                FewShotTask.HELLASWAG,
                "hellaswag-validation-0",
                "Roof shingle removal: A man is sitting on a roof. He",
                " starts pulling up roofing on a roof.");
    }

    @Test
    void arcEasyPromptIsQuestionAnswer() {
        assertZeroShot(
                FewShotTask.ARC_EASY,
                "MCAS_2000_4_6",
                "Question: Which technology was developed most recently?\nAnswer:",
                " cellular telephone");
    }

    @Test
    void fewShotPromptJoinsSolvedShotsWithBlankLinesThenTheContext() {
        TaskExample ex = first(FewShotTask.COPA);
        List<TaskExample> pool = READER.read(FewShotTask.COPA, "train").examples();
        Prompt p = new PromptBuilder(1234).build(ex, 3, pool);
        String[] parts = p.context().split("\n\n");
        assertEquals(4, parts.length);
        assertEquals(ex.context(), parts[3]);
        Set<String> shots = new HashSet<>();
        for (TaskExample t : pool) {
            shots.add(t.asShot());
        }
        Set<String> used = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            assertTrue(shots.contains(parts[i]), "shot " + i + " is a solved train example: " + parts[i]);
            used.add(parts[i]);
        }
        assertEquals(3, used.size(), "shots are distinct");
        assertEquals(" water flowed from the spout.", p.continuation());
    }

    @Test
    void shotsAreSeededAndNeverTheExampleItself() {
        List<TaskExample> pool =
                READER.read(FewShotTask.PIQA, "validation").examples().subList(0, 7);
        TaskExample ex = pool.get(3);
        PromptBuilder a = new PromptBuilder(7);
        for (int i = 0; i < 50; i++) {
            Prompt p = a.build(ex, 5, pool);
            assertEquals(p, a.build(ex, 5, pool), "same seed, same prompt");
            assertFalse(
                    p.context().substring(0, p.context().lastIndexOf("\n\n")).contains(ex.asShot()),
                    "the example is not its own shot");
        }
        List<String> contexts = new ArrayList<>();
        for (long seed = 0; seed < 8; seed++) {
            contexts.add(new PromptBuilder(seed).build(ex, 3, pool).context());
        }
        assertTrue(new HashSet<>(contexts).size() > 1, "different seeds draw different shots");
        assertNotEquals(
                a.build(ex, 3, pool).context(), a.build(pool.get(4), 3, pool).context());
    }

    @Test
    void tooFewShotsAvailableIsAClearError() {
        List<TaskExample> pool =
                READER.read(FewShotTask.PIQA, "validation").examples().subList(0, 3);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new PromptBuilder(1).build(pool.get(0), 5, pool));
        assertTrue(e.getMessage().contains("5-shot needs 5"));
    }
}
