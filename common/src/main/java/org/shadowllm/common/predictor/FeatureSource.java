package org.shadowllm.common.predictor;

/** Which per-layer feature a predictor network reads. */
public enum FeatureSource {
    /** Every head's attention context, the input of out_proj: columns {@code attn_context_<position>}. */
    ATTENTION_CONTEXT("attn_context"),
    /** The residual stream entering a layer: columns {@code residual_in_<position>}. */
    RESIDUAL_IN("residual_in");

    private final String prefix;

    FeatureSource(String prefix) {
        this.prefix = prefix;
    }

    /** The criteria table's column holding this feature at {@code position}, layer-major {@code [l*E + i]}. */
    public String column(FeaturePosition position) {
        return prefix + "_" + position.key();
    }
}
