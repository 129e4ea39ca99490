/**
 * The bench job: options, Spark wiring, the measures spread over executors, and the results table. Uses
 * every library module and Spark.
 */
package org.shadowllm.jobs.bench;
