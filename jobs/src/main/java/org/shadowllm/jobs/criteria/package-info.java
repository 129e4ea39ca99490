/**
 * The criteria job: the work plan (task × shots × examples), chunks scored on executors with one model per
 * JVM, sets merged and committed as Parquet. Uses {@code common}, the tables, tasks and runtime packages,
 * Spark.
 */
package org.shadowllm.jobs.criteria;
