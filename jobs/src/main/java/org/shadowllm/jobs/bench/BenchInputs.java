package org.shadowllm.jobs.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.WikiTextDocuments;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.jobs.tasks.TaskReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The text and examples a bench run measures on, read on the driver for the measures asked for only.
 *
 * @param text      WikiText-2's test split as tokens, as many as perplexity and the latency prompt need
 * @param documents its articles, for the paper's perplexity protocol
 * @param tasks     per task, the validation examples accuracy scores
 */
record BenchInputs(int[] text, List<PerplexityEval.Document> documents, Map<FewShotTask, List<TaskExample>> tasks) {
    private static final Logger LOG = LoggerFactory.getLogger(BenchInputs.class);

    static BenchInputs read(SparkSession spark, BenchOptions options, Tokenizer tokenizer, CriteriaInput criteria) {
        return new Reader(spark, options, tokenizer).read(criteria);
    }

    /** A serializable copy of the tasks (the example lists are sub-list views). */
    Map<FewShotTask, List<TaskExample>> tasksCopy() {
        Map<FewShotTask, List<TaskExample>> out = new LinkedHashMap<>();
        tasks.forEach((t, l) -> out.put(t, new ArrayList<>(l)));
        return out;
    }

    private record Reader(SparkSession spark, BenchOptions options, Tokenizer tokenizer) {
        BenchInputs read(CriteriaInput criteria) {
            PerplexityEval ppl = options.perplexityEval();
            boolean perplexity = options.measures(Measure.PERPLEXITY) || options.measures(Measure.DECODE_PERPLEXITY);
            boolean paper = options.measures(Measure.PERPLEXITY_PAPER);
            boolean latency = options.measures(Measure.LATENCY);
            List<String> lines = perplexity || paper || latency ? wikitextLines() : List.of();
            int[] text = perplexity || latency
                    ? wikitext(
                            lines,
                            perplexity ? ppl.tokensWanted() : 0,
                            perplexity ? ppl::tokensNeeded : n -> n,
                            options.latency().prompt())
                    : new int[0];
            List<PerplexityEval.Document> documents = paper ? documents(lines) : List.of();
            Map<FewShotTask, List<TaskExample>> tasks =
                    options.measures(Measure.ACCURACY) || options.measures(Measure.DECODE_ACCURACY)
                            ? tasks(criteria.exampleIds())
                            : Map.of();
            return new BenchInputs(text, documents, tasks);
        }

        /**
         * The test split's tokens, line by line, tokenized until {@code wanted} (or {@code atLeast}) are
         * there; {@code use} says how many of those available the measures take.
         */
        private int[] wikitext(List<String> lines, int wanted, IntUnaryOperator use, int atLeast) {
            List<Integer> ids = new ArrayList<>();
            int stop = Math.max(wanted, atLeast);
            for (int i = 0; i < lines.size() && ids.size() < stop; i++) {
                for (int t : tokenizer.encode(lines.get(i) + "\n")) {
                    ids.add(t);
                }
            }
            int needed = Math.max(use.applyAsInt(ids.size()), atLeast);
            if (ids.size() < needed || needed == 0) {
                throw new IllegalArgumentException(options.wikitext() + " holds " + ids.size()
                        + " tokens; the measures need " + Math.max(needed, 1)
                        + "; lower --ppl-windows, --ppl-window or --latency-prompt");
            }
            return ids.stream().mapToInt(Integer::intValue).limit(needed).toArray();
        }

        /** The first {@code --ppl-documents} articles (all for 0), detokenized and tokenized, with their word counts. */
        private List<PerplexityEval.Document> documents(List<String> lines) {
            List<String> articles = WikiTextDocuments.articles(lines);
            int n = options.perplexity().documents() == 0
                    ? articles.size()
                    : Math.min(options.perplexity().documents(), articles.size());
            List<PerplexityEval.Document> out = new ArrayList<>(n);
            for (String a : articles.subList(0, n)) {
                out.add(new PerplexityEval.Document(
                        tokenizer.encode(WikiTextDocuments.detokenize(a)), WikiTextDocuments.words(a)));
            }
            LOG.info(
                    "perplexity-paper: {} articles, {} tokens, {} words",
                    n,
                    out.stream().mapToLong(d -> d.tokens().length).sum(),
                    out.stream().mapToLong(d -> d.words()).sum());
            return out;
        }

        private List<String> wikitextLines() {
            Path p = new Path(options.wikitext());
            List<String> lines = new ArrayList<>();
            try {
                FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (!fs.exists(p)) {
                    throw new IllegalArgumentException("WikiText-2 test file not found: " + p);
                }
                try (FSDataInputStream in = fs.open(p);
                        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + p, e);
            }
            return lines;
        }

        /**
         * Each task's validation examples, less those the criteria table scored for this model (static
         * masks and predictors were fitted on them), then the first {@code --examples} (all for 0).
         */
        private Map<FewShotTask, List<TaskExample>> tasks(Map<String, Set<String>> seen) {
            TaskReader reader =
                    new TaskReader(options.data(), spark.sparkContext().hadoopConfiguration());
            Map<FewShotTask, List<TaskExample>> out = new LinkedHashMap<>();
            for (FewShotTask t : options.tasks()) {
                TaskReader.Split split = reader.read(t, t.evalSplit());
                if (!split.malformed().isEmpty()) {
                    throw new IllegalArgumentException(
                            t.key() + ": " + split.malformed().size() + " malformed lines, first "
                                    + split.malformed().get(0));
                }
                Set<String> skip = seen.getOrDefault(t.key(), Set.of());
                List<TaskExample> ex = split.examples().stream()
                        .filter(e -> !skip.contains(e.id()))
                        .toList();
                if (ex.isEmpty()) {
                    throw new IllegalArgumentException(t.key() + ": every validation example was scored by the "
                            + "criteria job; run it with --split train, or leave the task out with --tasks");
                }
                int n = options.examplesPerTask() == 0 ? ex.size() : Math.min(options.examplesPerTask(), ex.size());
                LOG.info(
                        "accuracy {}: {} of {} validation examples ({} left out: scored by the criteria job)",
                        t.key(),
                        n,
                        split.examples().size(),
                        split.examples().size() - ex.size());
                out.put(t, ex.subList(0, n));
            }
            return out;
        }
    }
}
