/**
 * Reading the seven tasks' JSONL files from any Hadoop file system, with bounded lines and malformed rows
 * counted, not fatal.
 */
package org.shadowllm.jobs.tasks;
