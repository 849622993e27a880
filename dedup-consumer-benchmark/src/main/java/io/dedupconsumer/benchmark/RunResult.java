package io.dedupconsumer.benchmark;

/**
 * One measured run of one scenario.
 *
 * @param database {@code null} for {@link Scenario#CONSUME_ONLY}
 * @param repetition 1-based; 0 for a warm-up run, which is never reported
 * @param p50Nanos median poll-to-commit latency of the run's records
 * @param p99Nanos 99th percentile poll-to-commit latency
 * @param cpuNanos CPU time of the consumer threads during the run
 * @param check what the run left behind against what it must have left
 */
record RunResult(Scenario scenario, Database database, int partitions, int duplicatePercent, int repetition,
        long records, long elapsedNanos, long p50Nanos, long p99Nanos, long cpuNanos, Check check) {

    double recordsPerSecond() {
        return records * 1e9 / elapsedNanos;
    }

    /** Consumer-thread CPU per record: the client-side cost, free of the database's wait. */
    double cpuMicrosPerRecord() {
        return cpuNanos / 1e3 / records;
    }

    /** The configuration, without the repetition: runs with the same one are aggregated. */
    Configuration configuration() {
        return new Configuration(scenario, database, partitions, duplicatePercent);
    }

    record Configuration(Scenario scenario, Database database, int partitions, int duplicatePercent) {
    }

    /**
     * Actual and expected totals. A deduplicating run must leave exactly one ledger row and one dedup row per
     * distinct event; an unsafe run leaves one ledger row per record (duplicates applied twice, which is why it is
     * unsafe); a consume-only run must have read every record.
     */
    record Check(long records, long ledgerRows, long balance, long dedupRows, long expectedRecords,
            long expectedLedgerRows, long expectedBalance, long expectedDedupRows) {

        boolean ok() {
            return records == expectedRecords && ledgerRows == expectedLedgerRows && balance == expectedBalance
                    && dedupRows == expectedDedupRows;
        }

        static Check of(Scenario scenario, long records, ScenarioDatabase.Totals totals, Workload.Expectation expected) {
            if (!scenario.usesDatabase()) {
                return new Check(records, 0, 0, 0, expected.records(), 0, 0, 0);
            }
            if (scenario.deduplicates()) {
                return new Check(records, totals.ledgerRows(), totals.balance(), totals.dedupRows(), expected.records(),
                        expected.uniqueEvents(), expected.amountOfUnique(), expected.uniqueEvents());
            }
            return new Check(records, totals.ledgerRows(), totals.balance(), totals.dedupRows(), expected.records(),
                    expected.records(), expected.amountOfAll(), 0);
        }
    }
}
