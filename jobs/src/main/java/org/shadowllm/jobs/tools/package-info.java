/**
 * Command-line tools beside the three jobs: a seeded random checkpoint of a real model's shape for
 * at-size runs. May use {@code common}, the jobs' command-line rules (the cli package) and picocli; no Spark.
 */
package org.shadowllm.jobs.tools;
