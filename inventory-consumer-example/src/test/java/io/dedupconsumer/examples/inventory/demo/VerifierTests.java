package io.dedupconsumer.examples.inventory.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.oracle.InventoryChecks;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The verifier must be able to fail: every invariant it prints is checked against a snapshot that breaks it. */
class VerifierTests {

    private final Workload workload = Workload.generate(DemoOptions.parse("--events=400", "--skus=4", "--seed=3"), "v1");
    private final Expectation expected = Expectation.of(workload);

    @Test
    void aSnapshotThatMatchesTheModelPasses() {
        Verification verification = verify(faithful());

        assertThat(verification.verdict()).isEqualTo(new Verification.Verdict(verification.checks().size(), List.of(),
                List.of()));
        assertThat(verification.verdict().passed()).isTrue();
        assertThat(verification.checks()).hasSizeGreaterThan(30);
    }

    @Test
    void aTamperedStockRowFails() {
        Snapshot faithful = faithful();
        Map<String, Integer> stock = new TreeMap<>(faithful.stock());
        stock.merge(workload.skus().get(0), 1, Integer::sum);

        Verification verification = verify(with(faithful, stock, faithful.ledger(), faithful.doubledEvents()));

        Verification.Verdict verdict = verification.verdict();
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.failedNames()).containsExactly(InventoryChecks.STOCK_AS_MODEL, InventoryChecks.STOCK_AS_LEDGER);
        Verification.Check skus = verdict.failures().get(0);
        assertThat(skus.expected()).isEqualTo(4);
        assertThat(skus.actual()).isEqualTo(3L);
        int units = expected.stock().get(workload.skus().get(0));
        assertThat(verdict.violations()).contains(InventoryChecks.STOCK_AS_MODEL + ": " + workload.skus().get(0)
                + ": model " + units + ", database " + (units + 1));
    }

    @Test
    void aDoubledLedgerRowFailsAndNamesTheEvent() {
        Snapshot faithful = faithful();
        Map<String, Long> ledger = new HashMap<>(faithful.ledger());
        ledger.merge("APPLIED", 1L, Long::sum);

        Verification verification = verify(with(faithful, faithful.stock(), ledger, List.of("v1-e0000042")));

        assertThat(names(verification)).containsExactlyInAnyOrder("rows", "  APPLIED", InventoryChecks.DOUBLED_EFFECTS);
        assertThat(verification.verdict().violations()).contains(InventoryChecks.DOUBLED_EFFECTS + ": v1-e0000042");
    }

    @Test
    void anEventDecidedTwiceOrALostDeadLetterFailsEvenAmongRedeliveries() {
        Snapshot faithful = faithful();
        Map<Outcome, Long> twice = new EnumMap<>(faithful.live().outcomes());
        twice.merge(Outcome.PROCESSED, 1L, Long::sum);
        Snapshot.Pass live = new Snapshot.Pass(faithful.live().consumed(), twice, faithful.live().deadLettered() - 1);

        assertThat(names(verify(withLive(faithful, live)))).containsExactlyInAnyOrder("  PROCESSED (metrics)",
                "dead-lettered");
    }

    @Test
    void redeliveriesMayAddDuplicatesButNotMoveCountsBetweenOutcomes() {
        Snapshot faithful = faithful();
        Map<Outcome, Long> redelivered = new EnumMap<>(faithful.live().outcomes());
        redelivered.merge(Outcome.DUPLICATE, 3L, Long::sum);
        Map<Outcome, Long> moved = new EnumMap<>(faithful.live().outcomes());
        moved.merge(Outcome.DUPLICATE, 1L, Long::sum);
        moved.merge(Outcome.CONFLICT, -1L, Long::sum);

        Verification redelivery = verify(withLive(faithful,
                new Snapshot.Pass(faithful.live().consumed(), redelivered, faithful.live().deadLettered())));
        Verification miscount = verify(withLive(faithful,
                new Snapshot.Pass(faithful.live().consumed(), moved, faithful.live().deadLettered())));

        assertThat(redelivery.failures()).isEmpty();
        assertThat(redelivery.checks()).contains(new Verification.Check("Live pass",
                "records delivered again (rebalance, crash)", 0L, 3L, "", true));
        assertThat(names(miscount)).containsExactlyInAnyOrder("  DUPLICATE (metrics)", "  CONFLICT (metrics)");
    }

    @Test
    void aRecordTheGroupNeverGotThroughFails() {
        Snapshot faithful = faithful();
        Snapshot.Pass stuck = new Snapshot.Pass(faithful.replay().consumed() - 5, faithful.replay().outcomes(),
                faithful.replay().deadLettered());
        Snapshot snapshot = new Snapshot(faithful.stock(), faithful.ledgerDeltas(), faithful.ledger(),
                faithful.doubledEvents(), faithful.claims(), faithful.refusals(), faithful.recordsInTopic(),
                faithful.live(), stuck, faithful.deadLetters());

        assertThat(names(verify(snapshot))).contains("records consumed (offsets committed)");
    }

    @Test
    void aDeadLetterWithoutAReasonFails() {
        Snapshot faithful = faithful();
        DeadLetterCensus census = faithful.deadLetters();
        Snapshot snapshot = new Snapshot(faithful.stock(), faithful.ledgerDeltas(), faithful.ledger(),
                faithful.doubledEvents(), faithful.claims(), faithful.refusals(), faithful.recordsInTopic(),
                faithful.live(), faithful.replay(),
                new DeadLetterCensus(census.byOutcome(), census.withReason() - 1, census.total()));

        assertThat(names(verify(snapshot))).containsExactly("with a dedup-reason header");
    }

    /** The snapshot a correct run ends with: exactly what the model says. */
    private Snapshot faithful() {
        Map<String, Long> deltas = new TreeMap<>();
        expected.stock().forEach((sku, units) -> deltas.put(sku, (long) units - workload.initialStock()));
        Map<Outcome, Long> claims = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            claims.put(outcome, 0L);
        }
        claims.put(Outcome.PROCESSED, expected.live().get(Outcome.PROCESSED));
        claims.put(Outcome.REJECTED, expected.live().get(Outcome.REJECTED));
        long deadLetters = expected.deadLetterOutcomes().values().stream().mapToLong(Long::longValue).sum();
        return new Snapshot(expected.stock(), deltas, expected.ledger(), List.of(), claims,
                new EnumMap<Refusal, Long>(expected.refusals()), expected.records(),
                new Snapshot.Pass(expected.records(), expected.live(), expected.deadLettersLive()),
                new Snapshot.Pass(expected.records(), expected.replay(), expected.deadLettersReplay()),
                new DeadLetterCensus(expected.deadLetterOutcomes(), deadLetters, deadLetters));
    }

    private Snapshot with(Snapshot s, Map<String, Integer> stock, Map<String, Long> ledger, List<String> doubled) {
        return new Snapshot(stock, s.ledgerDeltas(), ledger, doubled, s.claims(), s.refusals(), s.recordsInTopic(),
                s.live(), s.replay(), s.deadLetters());
    }

    private Verification verify(Snapshot snapshot) {
        return Verifier.verify(expected, snapshot, workload.initialStock());
    }

    private static Snapshot withLive(Snapshot s, Snapshot.Pass live) {
        return new Snapshot(s.stock(), s.ledgerDeltas(), s.ledger(), s.doubledEvents(), s.claims(), s.refusals(),
                s.recordsInTopic(), live, s.replay(), s.deadLetters());
    }

    private static List<String> names(Verification verification) {
        List<String> names = new ArrayList<>();
        verification.failures().forEach(check -> names.add(check.name()));
        return names;
    }
}
