/**
 * The train job: its options (declared once in {@code TrainerJobArgs}); reads the criteria table by model, criterion and feature position, stages training rows
 * per network, trains predictors on executors, writes artifacts and the metrics table. Uses
 * {@code predictor-trainer}, {@code common}, the cli, tables and runtime packages, picocli, Spark.
 */
package org.shadowllm.jobs.train;
