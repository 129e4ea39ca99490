/**
 * Tests of what every job shares at run time (the code version, a live heap that does not grow with the rows), and the
 * support the job tests share: the embedded Spark, job runs, child JVMs, file-tree snapshots.
 */
package org.shadowllm.jobs.runtime;
