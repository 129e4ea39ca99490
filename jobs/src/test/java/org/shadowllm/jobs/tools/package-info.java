/** Tests of the command-line tools beside the jobs: the seeded random checkpoint. */
package org.shadowllm.jobs.tools;
