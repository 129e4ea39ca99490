/**
 * Training rows for predictor networks: records from the criteria table, features scaled per layer,
 * targets per unit, the example split, and rows streamed from files. Uses {@code common}.
 */
package org.shadowllm.trainer.data;
