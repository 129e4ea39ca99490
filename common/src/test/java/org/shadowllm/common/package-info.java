/**
 * What the tests of every module share (the test jar): float64 reference implementations of OPT and Llama and the
 * loops they share, the golden values, and elementwise tolerances.
 */
package org.shadowllm.common;
