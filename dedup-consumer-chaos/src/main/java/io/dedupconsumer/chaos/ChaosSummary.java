package io.dedupconsumer.chaos;

import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.io.PrintStream;
import java.util.List;

/**
 * The outcome of a chaos run: what was done to the consumers and what flowed through them, and the verification
 * against the model. The table is what {@code docs/chaos.md} quotes.
 *
 * @param runId the run's id (topic, database, SKU and event id prefix)
 * @param seed the seed that reproduces the schedule
 * @param chaosSeconds how long the chaos lasted
 * @param drainSeconds how long the consumers took to catch up afterwards
 * @param totalSeconds the whole run, set-up and verification included
 * @param consumerProcesses consumer processes started
 * @param sigkills consumer processes killed with SIGKILL from outside
 * @param haltsAfterCommit consumer processes halted right after a database commit, before the offset commit
 * @param haltsBeforeCommit consumer processes halted right before a database commit
 * @param zombieStalls commits stalled past {@code max.poll.interval.ms} (the process finished its batch as a zombie)
 * @param evictions times the group evicted a process for not polling in time (its partitions moved while it still
 *     worked: a zombie), as the Kafka consumer logged them
 * @param gracefulStops consumer processes stopped with SIGTERM to force a rebalance
 * @param extraStarts consumer processes started to force a rebalance
 * @param rebalances group membership changes: every process that joined or left
 * @param startupFailures processes that exited before they were ready (started while the database or broker was down)
 * @param unexpectedExits processes that exited on their own after they were ready, none expected
 * @param outages database outages
 * @param outageSeconds the database's total downtime
 * @param brokerRestarts broker restarts
 * @param records records in the topic
 * @param sendFailures records the producer could not send (not in the topic, so not in the model)
 * @param uniqueEvents unique event ids
 * @param resends exact re-sends in the topic
 * @param conflicts same-id conflicts in the topic
 * @param noKey records without a usable event id
 * @param duplicatesSkipped {@code DUPLICATE} outcomes the consumers counted (a lower bound: a killed process loses its
 *     last second of counts); more than {@code resends}, because redeliveries after crashes are skipped too
 * @param applied unique events applied
 * @param refused unique events refused with a recorded reason
 * @param deadLetters records in the dead-letter topic
 * @param auditSamples samples of the offset audit during the run
 * @param auditedRecords records the audit checked below committed offsets
 * @param verification the checks
 */
record ChaosSummary(String runId, long seed, double chaosSeconds, double drainSeconds, double totalSeconds,
        int consumerProcesses, int sigkills, int haltsAfterCommit, int haltsBeforeCommit, int zombieStalls, int evictions,
        int gracefulStops, int extraStarts, int rebalances, int startupFailures, int unexpectedExits, int outages,
        double outageSeconds, int brokerRestarts,
        long records, long sendFailures, long uniqueEvents, long resends, long conflicts, long noKey,
        long duplicatesSkipped, long applied, long refused, long deadLetters, long auditSamples, long auditedRecords,
        Verification verification) {

    /** Every violation found, by the audit during the run or by the final verification. */
    List<String> violations() {
        return verification.violations();
    }

    boolean passed() {
        return verification.passed();
    }

    void print(PrintStream out) {
        out.println();
        out.printf("Chaos summary: run %s, seed %d (-Dchaos.seed=%d replays this schedule)%n", runId, seed, seed);
        row(out, "chaos / drain / whole run", String.format("%.0f s / %.0f s / %.0f s", chaosSeconds, drainSeconds,
                totalSeconds));
        row(out, "consumer processes started", consumerProcesses);
        row(out, "kills: SIGKILL from outside", sigkills);
        row(out, "kills: halted between DB commit and offset commit", haltsAfterCommit);
        row(out, "kills: halted before the DB commit", haltsBeforeCommit);
        row(out, "zombies: commits stalled / evictions by the group", zombieStalls + " / " + evictions);
        row(out, "rebalances (processes joined or left)", rebalances + " (" + extraStarts + " forced starts, "
                + gracefulStops + " graceful stops)");
        row(out, "processes that failed to start / exited on their own", startupFailures + " / " + unexpectedExits);
        row(out, "database outages", String.format("%d (%.1f s down)", outages, outageSeconds));
        row(out, "broker restarts", brokerRestarts);
        row(out, "records in the topic", String.format("%,d (%,d sends failed)", records, sendFailures));
        row(out, "unique events: applied / refused", String.format("%,d: %,d / %,d", uniqueEvents, applied, refused));
        row(out, "exact re-sends / duplicates skipped", String.format("%,d / %,d", resends, duplicatesSkipped));
        row(out, "conflicts / no event id / dead letters", String.format("%,d / %,d / %,d", conflicts, noKey,
                deadLetters));
        row(out, "offset audit: samples / records checked", String.format("%,d / %,d", auditSamples, auditedRecords));
        row(out, "violations", violations().size());
        out.println();
        out.println(passed() ? "CHAOS VERDICT: PASSED - every event's effect exactly once, nothing lost"
                : "CHAOS VERDICT: FAILED - " + violations().size() + " violation(s)");
    }

    private static void row(PrintStream out, String name, Object value) {
        out.printf("  %-52s %s%n", name, value);
    }
}
