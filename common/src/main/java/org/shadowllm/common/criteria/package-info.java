/**
 * The importance criteria of {@code CRITERIA.md}, per example and per set: probes on the DJL model carry
 * gradients out of one backward pass; grasp's Hessian-gradient product by central differences. Uses the
 * model package only; no IO.
 */
package org.shadowllm.common.criteria;
