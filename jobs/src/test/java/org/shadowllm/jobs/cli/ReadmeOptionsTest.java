package org.shadowllm.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.shadowllm.jobs.bench.BenchArgs;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.criteria.CriteriaJobArgs;
import org.shadowllm.jobs.tools.RandomCheckpointTool;
import org.shadowllm.jobs.train.TrainerJob;
import org.shadowllm.jobs.train.TrainerJobArgs;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option the docs' commands give a job ({@code -Dcriteria.args="..."} and its kin, and the options after
 * the jar of a {@code spark-submit --class org.shadowllm.jobs...}) is one that job declares and shows in its
 * {@code --help}: renaming an option without the docs fails here.
 */
class ReadmeOptionsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final List<Path> DOCS = List.of(README, Path.of("..", "BENCHMARKS.md"), Path.of("..", "RESULTS.md"));

    /** Each command by the name its {@code -D<name>.args} property gives it. */
    private static final Map<String, Supplier<Object>> COMMANDS = Map.of(
            "criteria", CriteriaJobArgs::new,
            "train", TrainerJobArgs::new,
            "bench", BenchArgs::new,
            "tool", RandomCheckpointTool.Args::new);

    private static final Map<String, String> MAIN_CLASSES = Map.of(
            CriteriaJob.class.getName(), "criteria",
            TrainerJob.class.getName(), "train",
            BenchJob.class.getName(), "bench",
            RandomCheckpointTool.class.getName(), "tool");

    private static final Pattern ARGS_PROPERTY = Pattern.compile("-D(criteria|train|bench|tool)\\.args=\"([^\"]*)\"");
    private static final Pattern SUBMITTED = Pattern.compile("--class\\s+(\\S+)\\s+\\S+\\.jar(.*)", Pattern.DOTALL);
    private static final Pattern OPTION = Pattern.compile("(?<![\\w/-])--[a-z][a-z0-9-]*");

    /** {@code option} given to {@code command} in {@code where}. */
    record Use(String where, String command, String option) {}

    @Test
    void everyOptionTheDocsCommandsGiveAJobIsOneItDeclaresInItsHelp() throws IOException {
        List<Use> uses = new ArrayList<>();
        for (Path doc : DOCS) {
            uses.addAll(uses(doc.getFileName().toString(), Files.readString(doc)));
        }
        Set<String> inReadme = new TreeSet<>();
        uses.stream().filter(u -> u.where().startsWith("README.md")).forEach(u -> inReadme.add(u.command()));
        // the README's commands were found at all: every command, and the spark-submit example's options
        assertEquals(new TreeSet<>(COMMANDS.keySet()), inReadme, "commands found in the README");
        assertTrue(
                uses.stream().anyMatch(u -> u.where().startsWith("README.md spark-submit")),
                "the README's spark-submit example");
        assertEquals(List.of(), undeclared(uses));
    }

    @Test
    void anOptionAJobDoesNotDeclareOrHidesIsReported() {
        String doc =
                """
                mvn -B -q -pl jobs exec:exec@bench -Dbench.args="--model m --no-such-option 3"
                mvn -B -q -pl jobs exec:exec@criteria -Dcriteria.args="--fail-after 2 --output /tmp/x"
                    spark-submit --properties-file conf/spark-defaults.conf \\
                      --class org.shadowllm.jobs.train.TrainerJob jobs/target/jobs-spark.jar \\
                      --input /tmp/c --epoch 5
                """;
        List<Use> uses = uses("doc", doc);
        assertEquals(
                List.of(
                        "doc -Dbench.args: bench has no --no-such-option",
                        "doc -Dcriteria.args: criteria has no --fail-after",
                        "doc spark-submit: train has no --epoch"),
                undeclared(uses));
        assertEquals(6, uses.size(), uses.toString());
    }

    /** The options each command is given in {@code text}, a document named {@code name}. */
    static List<Use> uses(String name, String text) {
        List<Use> out = new ArrayList<>();
        Matcher m = ARGS_PROPERTY.matcher(text);
        while (m.find()) {
            for (String option : options(m.group(2))) {
                out.add(new Use(name + " -D" + m.group(1) + ".args", m.group(1), option));
            }
        }
        for (String submit : submitCommands(text)) {
            Matcher s = SUBMITTED.matcher(submit);
            if (s.find() && MAIN_CLASSES.containsKey(s.group(1))) {
                for (String option : options(s.group(2))) {
                    out.add(new Use(name + " spark-submit", MAIN_CLASSES.get(s.group(1)), option));
                }
            }
        }
        return out;
    }

    /** Each {@code spark-submit} command of {@code text}, its continued lines joined. */
    private static List<String> submitCommands(String text) {
        List<String> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().startsWith("spark-submit ")) {
                StringBuilder command = new StringBuilder(lines[i].trim());
                while (command.toString().endsWith("\\") && i + 1 < lines.length) {
                    command.setLength(command.length() - 1);
                    command.append(' ').append(lines[++i].trim());
                }
                out.add(command.toString());
            }
        }
        return out;
    }

    private static List<String> options(String args) {
        List<String> out = new ArrayList<>();
        Matcher m = OPTION.matcher(args);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** "where: command has no --option" for each use of an option the command lacks or keeps out of its help. */
    private static List<String> undeclared(List<Use> uses) {
        Map<String, Map<String, OptionSpec>> declared = new LinkedHashMap<>();
        COMMANDS.forEach((command, args) -> declared.put(
                command, JobCommandLine.of(args.get()).getCommandSpec().optionsMap()));
        List<String> out = new ArrayList<>();
        for (Use u : uses) {
            OptionSpec option = declared.get(u.command()).get(u.option());
            if (option == null || option.hidden()) {
                out.add(u.where() + ": " + u.command() + " has no " + u.option());
            }
        }
        return out.stream().distinct().toList();
    }
}
