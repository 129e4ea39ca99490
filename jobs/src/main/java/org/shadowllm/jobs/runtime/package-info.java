/**
 * What every job needs at run time beside its own work: the per-JVM cache of loaded models that
 * executors share ({@link org.shadowllm.jobs.runtime.ExecutorModels}) and the code version stamped on
 * every output ({@link org.shadowllm.jobs.runtime.CodeVersion}). Uses {@code common} and DJL; no Spark,
 * no other jobs package, so the criteria, train and bench jobs can all depend on it.
 */
package org.shadowllm.jobs.runtime;
