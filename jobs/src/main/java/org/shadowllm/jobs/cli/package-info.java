/**
 * What every job's command line shares: option parsing, usage errors (exit 2), failures (exit 1), and the
 * Spark session's start and stop.
 */
package org.shadowllm.jobs.cli;
