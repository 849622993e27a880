package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.oracle.InventoryChecks;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares what the run ended with against the model, check by check: stock per SKU, the ledger (one row per decided
 * event, none doubled, stock equal to the initial units plus the ledger's deltas), the dedup table, and each pass's
 * consumed records, outcome meters and dead letters.
 *
 * <p>Kafka delivers at least once: a record whose offset was not committed when its partition moved (a crash, a
 * rebalance that went wrong) is delivered again. The protocol turns such a redelivery into a {@code DUPLICATE} (or a
 * second {@code CONFLICT}, {@code INVALID} or dead letter), never into a second {@code PROCESSED} or {@code REJECTED}.
 * When a pass counted more outcomes than it had records, those redelivered counts are checked as "at least" and the
 * redeliveries are shown; the decided counts and the database stay exact either way.
 */
final class Verifier {

    private Verifier() {
    }

    static Verification verify(Expectation expected, Snapshot actual, int initialStock) {
        Verification v = new Verification();
        String stock = "Stock per SKU (the model applies the unique events in per-SKU order)";
        InventoryChecks.stock(v, stock, expected.stock(), actual.stock());
        long unexpectedSkus = actual.stock().keySet().stream().filter(sku -> !expected.stock().containsKey(sku)).count();
        v.check(stock, "SKUs not seeded by the demo", 0, unexpectedSkus, "rows in stock the demo did not seed");
        Map<String, Integer> initial = new TreeMap<>();
        expected.stock().keySet().forEach(sku -> initial.put(sku, initialStock));
        InventoryChecks.ledgerBalance(v, stock, initial, actual.ledgerDeltas(), actual.stock());

        String ledger = "Ledger (one row per unique event decided)";
        v.check(ledger, "rows", expected.ledgerRows(), actual.ledgerRows(), "ledger rows missing or extra");
        for (Map.Entry<String, Long> result : expected.ledger().entrySet()) {
            v.check(ledger, "  " + result.getKey(), result.getValue(), actual.ledger().getOrDefault(result.getKey(), 0L),
                    "a decision differs from the model");
        }
        InventoryChecks.doubledEffects(v, ledger, actual.doubledEvents());

        String claims = "Dedup table (one row per event id)";
        v.check(claims, "PROCESSED", expected.live().get(Outcome.PROCESSED), actual.claims().get(Outcome.PROCESSED),
                "applied events missing or extra");
        v.check(claims, "REJECTED", expected.live().get(Outcome.REJECTED), actual.claims().get(Outcome.REJECTED),
                "refused events missing or extra");
        for (Refusal refusal : Refusal.values()) {
            v.check(claims, "  " + refusal.name(), expected.refusals().get(refusal), actual.refusals().get(refusal),
                    "refusals for this reason differ from the model");
        }

        boolean liveRedelivered = redelivered(actual.live()) > 0;
        boolean replayRedelivered = redelivered(actual.replay()) > 0;
        pass(v, "Live pass", expected.records(), expected.live(), expected.deadLettersLive(), actual.live());
        v.check("Live pass", "records in the topic", expected.records(), actual.recordsInTopic(),
                "the topic does not hold what was sent");
        pass(v, "Replay from the beginning (new group, same dedup consumer name)", expected.records(), expected.replay(),
                expected.deadLettersReplay(), actual.replay());

        String letters = "Dead-letter topic (both passes, by dedup-outcome header)";
        Set<String> outcomes = new TreeSet<>(expected.deadLetterOutcomes().keySet());
        outcomes.addAll(actual.deadLetters().byOutcome().keySet());
        for (String outcome : outcomes) {
            count(v, letters, outcome, expected.deadLetterOutcomes().getOrDefault(outcome, 0L),
                    actual.deadLetters().byOutcome().getOrDefault(outcome, 0L), "dead letters of this kind missing or extra",
                    liveRedelivered || replayRedelivered);
        }
        v.check(letters, "with a dedup-reason header", actual.deadLetters().total(), actual.deadLetters().withReason(),
                "a dead letter does not say why");
        return v;
    }

    private static void pass(Verification v, String section, long records, Map<Outcome, Long> expected, long deadLetters,
            Snapshot.Pass actual) {
        v.check(section, "records consumed (offsets committed)", records, actual.consumed(),
                "the consumer group did not get through the topic in time");
        long redelivered = redelivered(actual);
        boolean redeliveries = redelivered > 0;
        if (redeliveries) {
            v.checkAtLeast(section, "records delivered again (rebalance, crash)", 0, redelivered, "");
        }
        for (Outcome outcome : Outcome.values()) {
            boolean decided = outcome == Outcome.PROCESSED || outcome == Outcome.REJECTED;
            count(v, section, "  " + outcome.name() + " (metrics)", expected.get(outcome), actual.outcomes().get(outcome),
                    decided ? "an event was decided twice, or not at all" : "outcome count differs from the model",
                    redeliveries && !decided);
        }
        count(v, section, "dead-lettered", deadLetters, actual.deadLettered(), "dead letters missing or extra",
                redeliveries);
    }

    /** Outcomes counted beyond the records the pass consumed: deliveries of a record after its first. */
    private static long redelivered(Snapshot.Pass pass) {
        return pass.outcomes().values().stream().mapToLong(Long::longValue).sum() - pass.consumed();
    }

    private static void count(Verification v, String section, String name, long expected, long actual, String note,
            boolean atLeast) {
        if (atLeast) {
            v.checkAtLeast(section, name, expected, actual, note);
        } else {
            v.check(section, name, expected, actual, note);
        }
    }
}
