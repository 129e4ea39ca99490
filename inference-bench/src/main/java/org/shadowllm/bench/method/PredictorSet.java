package org.shadowllm.bench.method;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;

/**
 * The predictors a bench run's methods use, each loaded once and checked against the model, the criterion
 * and the criteria table it must come from. Where a predictor lives ({@link Source}) and how its folder is
 * made local ({@link Fetch}: a copy from HDFS, say) are the caller's.
 */
public final class PredictorSet implements AutoCloseable {
    /** A predictor's folder, made local for reading; {@code release} drops the local copy. */
    public record Folder(Path path, AutoCloseable release) {}

    /** Makes the folder {@code dir} (as the user named it) readable on this machine. */
    @FunctionalInterface
    public interface Fetch {
        Folder fetch(String dir);
    }

    /** Where the predictor of a kind and criterion is, as the user names it. */
    @FunctionalInterface
    public interface Source {
        String dirOf(PredictorKind kind, ImportanceCriterion criterion);
    }

    /** The model the predictors must have been trained for: its shape, folder name and checkpoint fingerprint. */
    public record Target(DecoderConfig config, String modelName, String fingerprint) implements java.io.Serializable {}

    /**
     * What a predictor must agree with. On the driver: the run ids of the criteria table the bench
     * leaves out (null when there is none to check), and nothing expected yet; each predictor loaded
     * records its fingerprint. On an executor: the fingerprints the driver recorded, which each
     * predictor loaded there must have (the artifact may have been replaced since).
     */
    public record Provenance(Set<String> tableRunIds, Map<String, String> expected) implements java.io.Serializable {
        public Provenance {
            tableRunIds = tableRunIds == null ? null : Set.copyOf(tableRunIds);
            expected = Map.copyOf(expected);
        }
    }

    private final NDManager manager;
    private final Target target;
    private final Source source;
    private final Fetch fetch;
    private final Provenance provenance;
    private final Consumer<String> warn;
    private final PredictorPrecision precision;
    private final Map<String, PredictorRuntime> loaded = new LinkedHashMap<>();
    private final List<AutoCloseable> copies = new ArrayList<>();
    private final Map<String, String> fingerprints = new LinkedHashMap<>();

    public PredictorSet(
            NDManager manager,
            Target target,
            Source source,
            Fetch fetch,
            Provenance provenance,
            Consumer<String> warn) {
        this(manager, target, source, fetch, provenance, warn, PredictorPrecision.FP32);
    }

    private PredictorSet(
            NDManager manager,
            Target target,
            Source source,
            Fetch fetch,
            Provenance provenance,
            Consumer<String> warn,
            PredictorPrecision precision) {
        this.manager = manager;
        this.target = target;
        this.source = source;
        this.fetch = fetch;
        this.provenance = provenance;
        this.warn = warn;
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
    }

    /**
     * This set with its predictors' weights rounded to {@code precision} as they load ({@link
     * PredictorPrecision#roundTrip}); fp32 by default. Only before anything is loaded: the set returned owns
     * what it loads.
     */
    public PredictorSet at(PredictorPrecision precision) {
        if (!loaded.isEmpty()) {
            throw new IllegalStateException("a predictor set's precision is chosen before it loads any predictor");
        }
        return new PredictorSet(manager, target, source, fetch, provenance, warn, precision);
    }

    /** The precision the predictors' weights are rounded to as they load. */
    public PredictorPrecision precision() {
        return precision;
    }

    /** The predictor of {@code kind} fitted on {@code criterion}, loaded on first use. */
    public PredictorRuntime get(PredictorKind kind, ImportanceCriterion criterion) {
        return loaded.computeIfAbsent(kind.key() + "/" + criterion.key(), k -> load(k, kind, criterion));
    }

    private PredictorRuntime load(String key, PredictorKind kind, ImportanceCriterion criterion) {
        String dir = source.dirOf(kind, criterion);
        Folder copy = fetch.fetch(dir);
        copies.add(copy.release());
        Path p = copy.path();
        if (!Files.isDirectory(p)) {
            throw new IllegalArgumentException("no " + kind + " predictor for " + criterion.key() + " at " + dir
                    + "; run the trainer job for this model and criterion, or point --predictors at its output");
        }
        String artifact = PredictorArtifacts.fingerprint(p);
        String expected = provenance.expected().get(key);
        if (expected != null && !expected.equals(artifact)) {
            throw new IllegalStateException(dir + " holds predictor " + artifact + " on this executor, but the "
                    + "driver chose predictor " + expected + ": it was replaced during the run; run again");
        }
        fingerprints.put(key, artifact);
        PredictorRuntime r = PredictorRuntime.load(p, target.config(), target.modelName(), kind, precision, manager);
        try {
            check(r, dir, criterion);
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void check(PredictorRuntime r, String dir, ImportanceCriterion criterion) {
        var manifest = r.predictor().manifest();
        requireTrainedFrom(manifest.inputTable().runIds(), manifest.inputTable().path(), dir);
        if (!manifest.criterion().equals(criterion.key())) {
            throw new IllegalArgumentException(
                    dir + " holds a predictor of " + manifest.criterion() + ", not " + criterion.key());
        }
        String trainedOn = manifest.inputTable().modelFingerprint();
        if (trainedOn == null) {
            warn.accept(dir + " names no model fingerprint (trained by an older trainer): not checked");
        } else if (!trainedOn.equals(target.fingerprint())) {
            throw new IllegalArgumentException(dir + " was trained on checkpoint " + trainedOn + " of '"
                    + target.modelName() + "', but the model given is checkpoint " + target.fingerprint()
                    + "; retrain the predictor for this checkpoint");
        }
        if (manifest.inputTable().featurePosition() != FeaturePosition.PLAN) {
            warn.accept(dir + " was trained on features at the last input token (a gold continuation token), not "
                    + "where the bench plans; retrain with --features plan");
        }
    }

    /** A predictor fitted on another criteria table than the one the bench leaves out would score seen examples. */
    private void requireTrainedFrom(List<String> runs, String table, String dir) {
        if (provenance.tableRunIds() != null && !provenance.tableRunIds().containsAll(runs)) {
            throw new IllegalArgumentException(dir + " was trained from criteria runs " + runs + " of " + table
                    + ", which --criteria does not hold (its runs: " + new TreeSet<>(provenance.tableRunIds())
                    + "); point --criteria at the table the predictors were trained from");
        }
    }

    /** Each loaded predictor's fingerprint, by kind/criterion: what the executors must load too. */
    public Map<String, String> fingerprints() {
        return Map.copyOf(fingerprints);
    }

    @Override
    public void close() {
        loaded.values().forEach(PredictorRuntime::close);
        for (AutoCloseable c : copies) {
            try {
                c.close();
            } catch (Exception e) {
                warn.accept("cannot drop a predictor's local copy: " + e.getMessage());
            }
        }
    }
}
