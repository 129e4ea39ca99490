/**
 * Tests of the decoder model: token-by-token decoding with the key-value cache equals a full pass, and unit masks act
 * as gates.
 */
package org.shadowllm.common.model;
