/**
 * The bench's results as rows and the HTML report with its plots (XChart).
 */
package org.shadowllm.bench.report;
