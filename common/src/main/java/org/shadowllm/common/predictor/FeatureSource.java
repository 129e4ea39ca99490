package org.shadowllm.common.predictor;

/** Which per-layer feature of the last prompt token a predictor network reads. */
public enum FeatureSource {
    /** Every head's attention context, the input of out_proj: column {@code attn_context_last}. */
    ATTENTION_CONTEXT("attn_context_last"),
    /** The residual stream entering a layer: column {@code residual_in_last}. */
    RESIDUAL_IN("residual_in_last");

    private final String column;

    FeatureSource(String column) {
        this.column = column;
    }

    /** The criteria table's column holding this feature, layer-major {@code [l*E + i]}. */
    public String column() {
        return column;
    }
}
