package io.dedupconsumer.benchmark;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What one benchmark run covers.
 *
 * @param batchRecords records read by the consume-only and per-poll scenarios (and produced per topic)
 * @param perRecordRecords records read by the per-record scenarios: a prefix of the same topic, because they are
 *     one to two orders of magnitude slower
 * @param repetitions timed repetitions of every configuration; the report shows medians
 * @param warmUp whether every scenario runs once, unreported, before the timed repetitions
 * @param probeDuration how long each database's plain commit rate is measured
 * @param runTimeout the longest one run may take before the benchmark fails
 * @param mariadbUrlParameters JDBC URL parameters added to every MariaDB pool (e.g. Connector/J's statement cache),
 *     or empty for the driver's defaults
 */
record Settings(List<Database> databases, List<Integer> partitions, List<Integer> duplicatePercents,
        List<Scenario> scenarios, int batchRecords, int perRecordRecords, int repetitions, boolean warmUp,
        Duration probeDuration, Duration runTimeout, String mariadbUrlParameters) {

    private static final Pattern URL_PARAMETERS = Pattern.compile("([A-Za-z]+=[A-Za-z0-9_.]+(&(?!$))?)*");

    Settings {
        databases = List.copyOf(databases);
        partitions = List.copyOf(partitions);
        duplicatePercents = List.copyOf(duplicatePercents);
        scenarios = List.copyOf(scenarios);
        require(!databases.isEmpty() || scenarios.stream().noneMatch(Scenario::usesDatabase),
                "--databases: name at least one database for the database scenarios");
        require(!partitions.isEmpty() && partitions.stream().allMatch(p -> p >= 1 && p <= 64),
                "--partitions: give 1 to 64, e.g. 1,4");
        require(!duplicatePercents.isEmpty() && duplicatePercents.stream().allMatch(d -> d >= 0 && d < 100),
                "--duplicates: give percentages from 0 to 99, e.g. 0,10,50");
        require(!scenarios.isEmpty(), "--scenarios: name at least one scenario");
        require(batchRecords >= 100, "--records: at least 100, was " + batchRecords);
        require(perRecordRecords >= 10 && perRecordRecords <= batchRecords,
                "--per-record-records: from 10 to --records, was " + perRecordRecords);
        require(repetitions >= 1, "--repetitions: at least 1, was " + repetitions);
        require(URL_PARAMETERS.matcher(mariadbUrlParameters).matches(),
                "--mariadb-url-parameters: give name=value pairs joined by '&', e.g. cachePrepStmts=true&useServerPrepStmts=true");
    }

    /** A few thousand records, one repetition, two partitions, 10% duplicates, every scenario: for CI. */
    static Settings smoke() {
        return new Settings(List.of(Database.values()), List.of(2), List.of(10), List.of(Scenario.values()), 2_000, 300,
                1, false, Duration.ofMillis(200), Duration.ofMinutes(2), "");
    }

    /** The URL parameters of a scenario's pool on {@code database}: the scenario's own, then the configured ones. */
    String urlParameters(Scenario scenario, Database database) {
        String own = scenario.urlParameters(database);
        if (database != Database.MARIADB || mariadbUrlParameters.isEmpty()) {
            return own;
        }
        return own.isEmpty() ? mariadbUrlParameters : own + "&" + mariadbUrlParameters;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
