/**
 * Tests of the jobs' command lines and launcher: unsafe names exit with 2 through each job's main, and the three jobs
 * run spark-submitted to a standalone cluster ({@code *ClusterIT}, after {@code package}).
 */
package org.shadowllm.jobs.cli;
