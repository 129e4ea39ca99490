/**
 * The criteria job: its options (declared once in {@code CriteriaJobArgs}), the work plan (task × shots ×
 * examples), chunks scored on executors with one model per JVM, sets merged and committed as Parquet. Uses
 * {@code common}, the cli, tables, tasks and runtime packages, picocli, Spark.
 */
package org.shadowllm.jobs.criteria;
