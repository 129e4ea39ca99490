/**
 * Which DJL device a job computes on ({@code --device}): CPU, a GPU, or whatever the executor was given.
 */
package org.shadowllm.common.device;
