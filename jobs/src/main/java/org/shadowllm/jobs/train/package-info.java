/**
 * The train job: reads the criteria table by model, criterion and feature position, stages training rows
 * per network, trains predictors on executors, writes artifacts and the metrics table. Uses
 * {@code predictor-trainer}, {@code common}, the tables and runtime packages, Spark.
 */
package org.shadowllm.jobs.train;
