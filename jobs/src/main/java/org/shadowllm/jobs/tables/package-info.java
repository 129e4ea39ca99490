/**
 * The Parquet table contracts (each table owns its schema), staged commits under an exclusive lock,
 * atomic renames, run-name rules and fingerprints. Uses Spark and the Hadoop client.
 */
package org.shadowllm.jobs.tables;
