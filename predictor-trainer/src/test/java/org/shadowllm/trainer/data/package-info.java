/**
 * Tests of the training rows: the split by example, row files read in any storage order giving what records in memory
 * give (to training and to the metrics), array size limits; and a synthetic criteria table with known scores.
 */
package org.shadowllm.trainer.data;
