/**
 * The seven few-shot tasks' prompt formats (as lm-evaluation-harness builds them): examples, few-shot
 * prompts, and their tokens (context and continuation tokenized apart).
 */
package org.shadowllm.common.tasks;
