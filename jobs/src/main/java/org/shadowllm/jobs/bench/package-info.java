/**
 * The bench job: {@code BenchJob} wires options, Spark and the output; one class per measure
 * (perplexity, accuracy, latency, decoding) works from a {@code BenchRun}; perplexity and accuracy are
 * spread over executors in shards ({@code ShardedMeasures} on the driver, {@code SpreadMeasures} on the
 * executors); {@code BenchSummary} and {@code BenchOutput} are what a run prints and writes. Which
 * methods run and how predictors are checked lives in {@code inference-bench}. Uses every library
 * module, the tables, tasks and cli packages, and Spark.
 */
package org.shadowllm.jobs.bench;
