package org.shadowllm.jobs.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.shadowllm.common.Keyed;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Parses a command line into a picocli command object (a job's {@code *Args} class), then builds the job's
 * validated options from it. Every command gets the same rules: {@code -h}/{@code --help}, an enum that
 * implements {@link Keyed} read by its key, the last of a repeated option winning, and no {@code @file}
 * expansion.
 */
public final class JobCommandLine {
    private JobCommandLine() {}

    /** Usage text width: the descriptions are written for it. */
    private static final int WIDTH = 110;

    /**
     * The options {@code build} makes of {@code command} once {@code args} are parsed into it.
     *
     * @throws HelpRequested for {@code --help}
     * @throws UsageException when an option is unknown or its value is not one the option takes, or when
     *     {@code build} refuses the values (an {@link IllegalArgumentException}); its message ends with the usage
     */
    public static <C, O> O parse(C command, String[] args, Function<C, O> build) {
        CommandLine line = of(command);
        try {
            line.parseArgs(lastOfEachList(line, args));
        } catch (ParameterException e) {
            throw new UsageException(e.getMessage() + "\n" + line.getUsageMessage());
        }
        if (line.isUsageHelpRequested()) {
            throw new HelpRequested(line.getUsageMessage());
        }
        try {
            return build.apply(command);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + "\n" + line.getUsageMessage());
        }
    }

    /** The picocli command line of {@code command}, with the rules above; its usage is the job's {@code --help}. */
    public static CommandLine of(Object command) {
        CommandLine line = new CommandLine(command);
        line.getCommandSpec()
                .addOption(OptionSpec.builder("-h", "--help")
                        .usageHelp(true)
                        .description("print this help and exit")
                        .build());
        for (OptionSpec option : line.getCommandSpec().options()) {
            for (Class<?> type : option.auxiliaryTypes()) {
                if (type.isEnum() && Keyed.class.isAssignableFrom(type)) {
                    registerKeyed(line, type);
                }
            }
        }
        line.setOverwrittenOptionsAllowed(true);
        line.setExpandAtFiles(false);
        line.setUsageHelpWidth(WIDTH);
        return line;
    }

    /**
     * {@code args} without the earlier occurrences of a repeated list option. picocli appends a repeated list
     * option's values; here the last occurrence replaces the others, as for a single value, so that a command
     * may add overrides after a common set of options (the tests do, and scripts with a shared prefix).
     */
    static String[] lastOfEachList(CommandLine line, String[] args) {
        // listOption: the list option these tokens give, null for anything else
        record Occurrence(OptionSpec listOption, List<String> tokens) {}
        List<Occurrence> occurrences = new ArrayList<>();
        Map<OptionSpec, Occurrence> last = new HashMap<>();
        for (int i = 0; i < args.length; ) {
            int eq = args[i].indexOf('=');
            OptionSpec option = args[i].startsWith("-")
                    ? line.getCommandSpec().findOption(eq < 0 ? args[i] : args[i].substring(0, eq))
                    : null;
            int end = option == null || eq >= 0
                    ? i + 1
                    : Math.min(args.length, i + 1 + option.arity().max());
            Occurrence o = new Occurrence(
                    option != null && option.isMultiValue() ? option : null,
                    Arrays.asList(args).subList(i, end));
            occurrences.add(o);
            if (o.listOption() != null) {
                last.put(o.listOption(), o);
            }
            i = end;
        }
        List<String> kept = new ArrayList<>();
        for (Occurrence o : occurrences) {
            if (o.listOption() == null || last.get(o.listOption()) == o) {
                kept.addAll(o.tokens());
            }
        }
        return kept.toArray(String[]::new);
    }

    // the type is checked above to be an enum implementing Keyed, which Class<?> cannot say
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void registerKeyed(CommandLine line, Class<?> type) {
        Class keyed = type;
        line.registerConverter(keyed, text -> keyOf(keyed, text));
    }

    private static <E extends Enum<E> & Keyed> E keyOf(Class<E> type, String text) {
        try {
            return Keyed.parse(type, text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
