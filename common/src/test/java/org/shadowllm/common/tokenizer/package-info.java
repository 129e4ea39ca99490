/**
 * Tests of the byte-level BPE tokenizer against Hugging Face's ids, and of the tokenizers read from tokenizer.json
 * files.
 */
package org.shadowllm.common.tokenizer;
