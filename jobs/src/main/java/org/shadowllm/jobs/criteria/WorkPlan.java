package org.shadowllm.jobs.criteria;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptBuilder;
import org.shadowllm.common.tasks.PromptTokens;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.jobs.tasks.MalformedRow;
import org.shadowllm.jobs.tasks.TaskReader;

/**
 * The work of a criteria run, planned on the driver: one set per task and shot count with its prompts
 * tokenized, the malformed lines met on the way, each split's record count ({@code task/split}) and each
 * read file's digest (same keys).
 */
public record WorkPlan(
        List<WorkSet> sets,
        List<MalformedRow> malformed,
        Map<String, Integer> splitRecords,
        Map<String, String> fileDigests) {

    /** Reads the tasks, builds and tokenizes every prompt. Deterministic for given options. */
    public static WorkPlan of(
            CriteriaJobOptions options, TaskReader reader, Tokenizer tokenizer, DecoderConfig config) {
        List<MalformedRow> malformed = new ArrayList<>();
        PromptBuilder prompts = new PromptBuilder(options.seed());
        List<WorkSet> sets = new ArrayList<>();
        Map<String, Integer> inputCounts = new LinkedHashMap<>();
        Map<String, String> digests = new LinkedHashMap<>();
        for (FewShotTask task : options.tasks()) {
            String split = options.split().of(task);
            TaskReader.Split eval = reader.read(task, split);
            malformed.addAll(eval.malformed());
            digests.put(task.key() + "/" + split, eval.digest());
            List<TaskExample> pool = eval.examples();
            if (!task.shotSplit().equals(split) && options.shots().stream().anyMatch(k -> k > 0)) {
                TaskReader.Split shots = reader.read(task, task.shotSplit());
                malformed.addAll(shots.malformed());
                digests.put(task.key() + "/" + task.shotSplit(), shots.digest());
                pool = shots.examples();
            }
            List<TaskExample> chosen = eval.examples()
                    .subList(
                            0,
                            Math.min(options.examplesPerSet(), eval.examples().size()));
            inputCounts.put(task.key() + "/" + split, eval.examples().size());
            for (int k : options.shots()) {
                List<WorkItem> items = new ArrayList<>(chosen.size());
                for (TaskExample ex : chosen) {
                    try {
                        items.add(tokenize(prompts.build(ex, k, pool), tokenizer, config));
                    } catch (IllegalArgumentException e) {
                        // a prompt that cannot be built or scored counts against --max-malformed like a bad line
                        malformed.add(new MalformedRow(eval.file(), 0, k + "-shot prompt: " + e.getMessage()));
                    }
                }
                sets.add(new WorkSet(task, k, items));
            }
        }
        return new WorkPlan(sets, malformed, inputCounts, digests);
    }

    private static WorkItem tokenize(Prompt p, Tokenizer tokenizer, DecoderConfig config) {
        PromptTokens t = PromptTokens.of(p, tokenizer, config.maxPositionEmbeddings());
        return new WorkItem(p.exampleId(), t.tokens(), t.continuationLength(), t.truncated());
    }

    /**
     * Per set, a fingerprint of everything its rows depend on: the checkpoint, the task files it reads,
     * the options that change scores, and the code (without its build time). A set whose fingerprint
     * matches the last committed run's is skipped.
     */
    Map<String, String> inputFingerprints(CriteriaJobOptions options, String modelFingerprint, String codeVersion) {
        Map<String, String> out = new LinkedHashMap<>();
        for (WorkSet set : sets) {
            FewShotTask task = set.task();
            String split = options.split().of(task);
            StringBuilder b = new StringBuilder()
                    .append(modelFingerprint)
                    .append('|')
                    .append(fileDigests.get(task.key() + "/" + split));
            if (set.shots() > 0 && !task.shotSplit().equals(split)) {
                b.append('|').append(fileDigests.get(task.key() + "/" + task.shotSplit()));
            }
            b.append('|')
                    .append(set.shots())
                    .append('|')
                    .append(options.examplesPerSet())
                    .append('|')
                    .append(split)
                    .append('|')
                    .append(options.criteria().stream()
                            .map(ImportanceCriterion::key)
                            .sorted()
                            .toList())
                    .append('|')
                    .append(options.seed())
                    .append('|')
                    .append(options.batchSize())
                    .append('|')
                    .append(codeVersion.replaceFirst(" built .*$", ""));
            out.put(set.label(), sha256(b.toString()));
        }
        return out;
    }

    /** The first 16 bytes of the text's SHA-256, in hex. */
    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
