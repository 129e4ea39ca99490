/** Tests of choosing the device from the --device option and Spark's GPU addresses. */
package org.shadowllm.common.device;
