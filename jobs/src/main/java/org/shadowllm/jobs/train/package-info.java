/**
 * The train job: reads the criteria table by model, criterion and feature position, stages training rows
 * per network, trains predictors on executors, writes artifacts and the metrics table. Uses
 * {@code predictor-trainer}, {@code common}, the tables package, Spark.
 */
package org.shadowllm.jobs.train;
