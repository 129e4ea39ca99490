package org.shadowllm.trainer.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/** Held-out metrics of a predictor: rank quality for heads and for neurons, and MSE on normalized targets. */
public record PredictorMetrics(UnitMetrics heads, UnitMetrics neurons, double mse) {

    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        put(m, "heads", heads);
        put(m, "neurons", neurons);
        m.put("mse", mse);
        return m;
    }

    private static void put(Map<String, Double> m, String unit, UnitMetrics u) {
        m.put(unit + ".rho_global", u.rhoGlobal());
        m.put(unit + ".rho_layer_mean", u.rhoLayerMean());
        m.put(unit + ".recall50_global", u.recallGlobal());
        m.put(unit + ".recall50_layer_mean", u.recallLayerMean());
    }
}
