/**
 * Command-line tools beside the three jobs: a seeded random checkpoint of a real model's shape for
 * at-size runs. May use {@code common} and the jobs' command-line parsing; no Spark.
 */
package org.shadowllm.jobs.tools;
