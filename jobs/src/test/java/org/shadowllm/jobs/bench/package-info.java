/** Tests of the bench job: its runs on tiny-random-opt, and the whole pipeline on tiny-random-llama that ends in it. */
package org.shadowllm.jobs.bench;
