/**
 * PyTorch {@code .bin} checkpoints ({@code torch.save} zip format): the stored-zip directory, a pickle
 * reader restricted to an allow-list of state-dict types, and tensors read by offset straight from the file.
 */
package org.shadowllm.common.pytorch;
