package io.dedupconsumer.benchmark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The medians of a benchmark's repetitions as Markdown tables. Ratios are computed per repetition (both runs of a
 * pair measured minutes apart at most) and then their median is taken, which cancels more of a shared machine's
 * drift than a ratio of medians would.
 */
final class Report {

    private final Settings settings;
    private final List<CommitProbe.CommitRate> commitRates;
    private final List<RunResult> results;

    Report(Settings settings, List<CommitProbe.CommitRate> commitRates, List<RunResult> results) {
        this.settings = settings;
        this.commitRates = List.copyOf(commitRates);
        this.results = List.copyOf(results);
    }

    List<RunResult> results() {
        return results;
    }

    List<CommitProbe.CommitRate> commitRates() {
        return commitRates;
    }

    /** The median records/s of a configuration over its repetitions, or NaN when it did not run. */
    double medianRecordsPerSecond(RunResult.Configuration configuration) {
        return median(runs(configuration).stream().map(RunResult::recordsPerSecond).toList());
    }

    /** The median over repetitions of {@code configuration}'s records/s divided by {@code baseline}'s; NaN if absent. */
    double medianRatio(RunResult.Configuration configuration, RunResult.Configuration baseline) {
        List<Double> ratios = new ArrayList<>();
        for (RunResult run : runs(configuration)) {
            for (RunResult base : runs(baseline)) {
                if (base.repetition() == run.repetition()) {
                    ratios.add(run.recordsPerSecond() / base.recordsPerSecond());
                }
            }
        }
        return median(ratios);
    }

    /** The median over repetitions of the configuration's records/s divided by its database's commit rate then. */
    double medianRatioToCommitRate(RunResult.Configuration configuration) {
        List<Double> ratios = new ArrayList<>();
        for (RunResult run : runs(configuration)) {
            for (CommitProbe.CommitRate rate : commitRates) {
                if (rate.database() == run.database() && rate.repetition() == run.repetition()) {
                    ratios.add(run.recordsPerSecond() / rate.transactionsPerSecond());
                }
            }
        }
        return median(ratios);
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Medians of %d repetition(s); %d records per topic, %d for the per-record "
                + "scenarios; max.poll.records %d; latency = poll returned → commitSync returned.%n%n",
                settings.repetitions(), settings.batchRecords(), settings.perRecordRecords(),
                ConsumerRun.MAX_POLL_RECORDS));
        if (!settings.mariadbUrlParameters().isEmpty()) {
            out.append("MariaDB pools ran with the JDBC URL parameters `").append(settings.mariadbUrlParameters())
                    .append("`.\n\n");
        }
        out.append("| database | single-row tx/s (1 connection) | rows/s in ").append(CommitProbe.BULK_ROWS)
                .append("-row transactions |\n|---|---:|---:|\n");
        for (Database database : Database.values()) {
            List<CommitProbe.CommitRate> rates = commitRates.stream().filter(r -> r.database() == database).toList();
            if (!rates.isEmpty()) {
                out.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f |%n", database.label(),
                        median(rates.stream().map(CommitProbe.CommitRate::transactionsPerSecond).toList()),
                        median(rates.stream().map(CommitProbe.CommitRate::bulkRowsPerSecond).toList())));
            }
        }
        out.append("\n| scenario | db | partitions | dup % | records | records/s | p50 ms | p99 ms | CPU µs/record | ratio |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (RunResult.Configuration configuration : configurations()) {
            List<RunResult> runs = runs(configuration);
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %,d | %,.0f | %.1f | %.1f | %.1f | %s |%n",
                    configuration.scenario().label(), label(configuration.database()), configuration.partitions(),
                    configuration.duplicatePercent(), runs.get(0).records(), medianRecordsPerSecond(configuration),
                    median(runs.stream().map(r -> r.p50Nanos() / 1e6).toList()),
                    median(runs.stream().map(r -> r.p99Nanos() / 1e6).toList()),
                    median(runs.stream().map(RunResult::cpuMicrosPerRecord).toList()), ratios(configuration)));
        }
        out.append("\n| db | partitions | dup % | dedup ÷ unsafe, tx/poll | dedup ÷ unsafe, JDBC-batched | "
                + "fast path ÷ unsafe, JDBC-batched | dedup tx/poll ÷ dedup tx/record | "
                + "dedup JDBC-batched ÷ dedup tx/record | dedup tx/record ÷ commit rate |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RunResult.Configuration configuration : configurations()) {
            if (configuration.scenario() != Scenario.DEDUP_BATCH) {
                continue;
            }
            Database database = configuration.database();
            RunResult.Configuration batched = with(configuration, Scenario.DEDUP_BATCH_JDBC);
            RunResult.Configuration bestUnsafe = with(configuration, Scenario.DEDUP_BATCH_JDBC.baseline(database));
            out.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |%n", database.label(),
                    configuration.partitions(), configuration.duplicatePercent(),
                    times(medianRatio(configuration, with(configuration, Scenario.UNSAFE_BATCH))),
                    times(medianRatio(batched, bestUnsafe)),
                    times(medianRatio(with(configuration, Scenario.DEDUP_BATCH_STATEMENTS), bestUnsafe)),
                    times(medianRatio(configuration, with(configuration, Scenario.DEDUP_RECORD))),
                    times(medianRatio(batched, with(configuration, Scenario.DEDUP_RECORD))),
                    times(medianRatioToCommitRate(with(configuration, Scenario.DEDUP_RECORD)))));
        }
        return out.toString();
    }

    private String ratios(RunResult.Configuration configuration) {
        List<String> parts = new ArrayList<>();
        Scenario baseline = configuration.scenario().baseline(configuration.database());
        if (baseline != null) {
            parts.add(times(medianRatio(configuration, with(configuration, baseline))) + " " + baseline.label());
        }
        if (configuration.scenario() == Scenario.DEDUP_BATCH || configuration.scenario() == Scenario.DEDUP_BATCH_JDBC
                || configuration.scenario() == Scenario.DEDUP_BATCH_STATEMENTS) {
            parts.add(times(medianRatio(configuration, with(configuration, Scenario.DEDUP_RECORD))) + " "
                    + Scenario.DEDUP_RECORD.label());
        }
        return String.join("; ", parts);
    }

    private List<RunResult.Configuration> configurations() {
        Map<RunResult.Configuration, Boolean> seen = new LinkedHashMap<>();
        results.stream()
                .sorted(Comparator.comparingInt(RunResult::partitions)
                        .thenComparingInt(RunResult::duplicatePercent)
                        .thenComparing(r -> r.database() == null ? -1 : r.database().ordinal())
                        .thenComparing(RunResult::scenario))
                .forEach(r -> seen.put(r.configuration(), Boolean.TRUE));
        return new ArrayList<>(seen.keySet());
    }

    private List<RunResult> runs(RunResult.Configuration configuration) {
        return results.stream().filter(r -> r.configuration().equals(configuration)).toList();
    }

    private static RunResult.Configuration with(RunResult.Configuration configuration, Scenario scenario) {
        return new RunResult.Configuration(scenario, configuration.database(), configuration.partitions(),
                configuration.duplicatePercent());
    }

    private static String label(Database database) {
        return database == null ? "-" : database.label();
    }

    private static String times(double ratio) {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2f×", ratio);
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().filter(Objects::nonNull).sorted().toList();
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }
}
