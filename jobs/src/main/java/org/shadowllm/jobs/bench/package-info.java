/**
 * The bench job: options (declared once in {@code BenchArgs}), Spark wiring, the measures spread over
 * executors, and the results table. Uses every library module, the cli package, picocli and Spark.
 */
package org.shadowllm.jobs.bench;
