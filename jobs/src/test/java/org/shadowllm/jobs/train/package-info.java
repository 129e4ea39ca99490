/**
 * Tests of the train job: its predictors and metrics table, and a predictor trained on opt-mini-trained that ranks
 * units far better than chance.
 */
package org.shadowllm.jobs.train;
