/** Tests of the report's rows and page: paired comparisons as rows and as the report's section and plot. */
package org.shadowllm.bench.report;
