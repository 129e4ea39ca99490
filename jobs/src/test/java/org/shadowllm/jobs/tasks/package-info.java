/** Tests of reading the tasks' JSONL files (malformed and over-long lines) and of the prompts built from them. */
package org.shadowllm.jobs.tasks;
