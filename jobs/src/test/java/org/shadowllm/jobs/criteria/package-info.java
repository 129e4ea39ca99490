/**
 * Tests of the criteria job: its tables against a direct computation, re-runs and skipped sets, crashes at each commit
 * point, input guards and memory needs.
 */
package org.shadowllm.jobs.criteria;
