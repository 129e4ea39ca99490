/**
 * What every job's command line shares: the picocli rules ({@link org.shadowllm.jobs.cli.JobCommandLine}), the
 * options every job takes ({@link org.shadowllm.jobs.cli.JobRunOptions}, giving a
 * {@link org.shadowllm.jobs.cli.JobRun}), the safe names of runs and models, help (exit 0), usage errors
 * (exit 2), failures (exit 1), and the Spark session's start and stop. Uses picocli, Spark and the tables'
 * name rule; each job's own options live in its package.
 */
package org.shadowllm.jobs.cli;
