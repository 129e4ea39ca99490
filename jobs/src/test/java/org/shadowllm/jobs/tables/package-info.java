/**
 * Tests of the tables and their commits: staged commits killed at each point, the output lock under races, the
 * pipeline on HDFS, and the README's SQL on the tables the jobs write.
 */
package org.shadowllm.jobs.tables;
