/**
 * The shared folder's location ({@code -Dshadowllm.shared}) for every module, and {@link
 * org.shadowllm.common.Keyed}, the one way an enum is written as a key and read back. The {@code common} module
 * is the bottom of the build: model math and IO with DJL, gson and the pickle reader; nothing here sees Spark,
 * Hadoop or the other modules.
 */
package org.shadowllm.common;
