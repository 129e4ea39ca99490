/**
 * Text to token ids behind one {@link org.shadowllm.common.tokenizer.Tokenizer} interface: GPT-2's byte-level
 * BPE in pure Java, any other {@code tokenizer.json} through Hugging Face's tokenizers library;
 * {@link org.shadowllm.common.tokenizer.TokenizerLoader} picks by the model's files.
 */
package org.shadowllm.common.tokenizer;
