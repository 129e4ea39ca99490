package org.shadowllm.bench.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;

/** Seeded PIQA-shaped examples of short random phrases: a task any model can score, whatever it learned. */
final class SyntheticExamples {
    private static final String[] WORDS = {"red", "blue", "stone", "river", "quickly", "the cat", "a door", "opens"};

    private SyntheticExamples() {}

    /** {@code n} examples with three choices (the second two words long), gold drawn among them. */
    static List<TaskExample> of(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TaskExample> examples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> choices = List.of(" " + word(r), " " + word(r) + " " + word(r), " " + word(r));
            examples.add(new TaskExample(
                    FewShotTask.PIQA, "ex" + i, "Question " + i + ": " + word(r), choices, r.nextInt(3), null, null));
        }
        return examples;
    }

    private static String word(SplittableRandom r) {
        return WORDS[r.nextInt(WORDS.length)];
    }
}
