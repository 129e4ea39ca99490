/**
 * The bench's results as rows (aggregates, per-item scores, paired comparisons) and the HTML report with
 * its plots (XChart). Uses the eval and method packages.
 */
package org.shadowllm.bench.report;
