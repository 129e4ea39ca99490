package org.shadowllm.common.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds prompts as lm-evaluation-harness does: k solved examples ({@code context + gold answer}),
 * each followed by a blank line, then the example's own context. Shots are drawn without replacement
 * from the task's shot split, never the example itself, with a generator seeded by (seed, task, k,
 * example id), so a re-run builds the same prompts.
 */
public final class PromptBuilder {
    private final long seed;

    public PromptBuilder(long seed) {
        this.seed = seed;
    }

    public Prompt build(TaskExample example, int shots, List<TaskExample> shotPool) {
        if (shots < 0) {
            throw new IllegalArgumentException("shots must be ≥ 0, was " + shots);
        }
        List<TaskExample> candidates = new ArrayList<>(shotPool.size());
        for (TaskExample e : shotPool) {
            if (!e.id().equals(example.id())) {
                candidates.add(e);
            }
        }
        if (candidates.size() < shots) {
            throw new IllegalArgumentException(example.task().key() + ": " + shots + "-shot needs " + shots
                    + " other examples, the shot split has " + candidates.size());
        }
        SplittableRandom rnd = new SplittableRandom(mix(seed, example.task().ordinal(), shots, example.id()));
        StringBuilder context = new StringBuilder();
        for (int i = 0; i < shots; i++) {
            int j = i + rnd.nextInt(candidates.size() - i);
            TaskExample pick = candidates.get(j);
            candidates.set(j, candidates.get(i));
            candidates.set(i, pick);
            context.append(pick.asShot()).append("\n\n");
        }
        context.append(example.goldContext());
        return new Prompt(example.task(), shots, example.id(), context.toString(), example.goldContinuation());
    }

    private static long mix(long seed, int task, int shots, String id) {
        long h = seed;
        h = h * 0x9E3779B97F4A7C15L + task;
        h = h * 0x9E3779B97F4A7C15L + shots;
        for (int i = 0; i < id.length(); i++) {
            h = h * 31 + id.charAt(i);
        }
        return h ^ (h >>> 29);
    }
}
