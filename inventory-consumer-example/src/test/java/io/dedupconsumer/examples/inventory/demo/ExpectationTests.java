package io.dedupconsumer.examples.inventory.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.StockEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpectationTests {

    private static final Instant AT = Instant.parse("2026-01-05T08:00:00Z");

    private final List<Workload.Sent> records = new ArrayList<>();

    @Test
    void aDeductionBeyondTheAvailableUnitsIsRefusedAsOutOfStock() {
        event(StockEvent.deduct("e1", "o1", "A", 6, AT));
        event(StockEvent.deduct("e2", "o2", "A", 5, AT));

        Expectation expected = model(10);

        assertThat(expected.stock()).containsEntry("A", 4);
        assertThat(expected.refusals()).containsEntry(Refusal.OUT_OF_STOCK, 1L);
        assertThat(expected.ledger()).containsEntry("APPLIED", 1L).containsEntry("OUT_OF_STOCK", 1L);
    }

    @Test
    void aCancellationGivesBackAnAppliedDeductionOnlyOnce() {
        event(StockEvent.deduct("e1", "o1", "A", 4, AT));
        event(StockEvent.cancel("e2", "o1", "A", AT));
        event(StockEvent.cancel("e3", "o1", "A", AT)); // another cancellation of the same order, a new event id

        Expectation expected = model(10);

        assertThat(expected.stock()).containsEntry("A", 10);
        assertThat(expected.refusals()).containsEntry(Refusal.NOTHING_TO_CANCEL, 1L);
    }

    @Test
    void cancellingADeductionThatRanOutOfStockGivesNothingBack() {
        event(StockEvent.deduct("e1", "o1", "A", 40, AT));
        event(StockEvent.cancel("e2", "o1", "A", AT));

        Expectation expected = model(10);

        assertThat(expected.stock()).containsEntry("A", 10);
        assertThat(expected.refusals()).containsEntry(Refusal.OUT_OF_STOCK, 1L).containsEntry(Refusal.NOTHING_TO_CANCEL, 1L);
    }

    @Test
    void reSendsAndConflictsChangeNothingAndTheReplayDecidesNothing() {
        StockEvent deduct = StockEvent.deduct("e1", "o1", "A", 3, AT);
        event(deduct);
        records.add(new Workload.Sent("A", deduct.toJson(), Workload.Kind.DUPLICATE, "e1"));
        records.add(new Workload.Sent("A", StockEvent.deduct("e1", "o1", "A", 4, AT).toJson(), Workload.Kind.CONFLICT,
                "e1"));
        records.add(new Workload.Sent("A", "not json", Workload.Kind.NO_KEY, null));

        Expectation expected = model(10);

        assertThat(expected.stock()).containsEntry("A", 7);
        assertThat(expected.live()).containsEntry(Outcome.PROCESSED, 1L).containsEntry(Outcome.DUPLICATE, 1L)
                .containsEntry(Outcome.CONFLICT, 1L).containsEntry(Outcome.INVALID, 1L);
        assertThat(expected.replay()).containsEntry(Outcome.PROCESSED, 0L).containsEntry(Outcome.DUPLICATE, 2L)
                .containsEntry(Outcome.CONFLICT, 1L).containsEntry(Outcome.INVALID, 1L);
        assertThat(expected.deadLettersLive()).isEqualTo(2);
        assertThat(expected.deadLettersReplay()).isEqualTo(2);
        assertThat(expected.claims()).isEqualTo(1);
    }

    @Test
    void unknownSkusAndMalformedEventsAreRefusedOnceAndDeadLetteredOnce() {
        records.add(new Workload.Sent("Z", StockEvent.deduct("b1", "o9", "Z", 1, AT).toJson(), Workload.Kind.UNKNOWN_SKU,
                "b1"));
        records.add(new Workload.Sent("A", "{\"eventId\":\"b2\",\"type\":\"TELEPORT\"}", Workload.Kind.MALFORMED, "b2"));
        records.add(new Workload.Sent("A", "{\"eventId\":\"b2\",\"type\":\"TELEPORT\"}", Workload.Kind.DUPLICATE, "b2"));

        Expectation expected = model(10);

        assertThat(expected.refusals()).containsEntry(Refusal.UNKNOWN_SKU, 1L).containsEntry(Refusal.MALFORMED, 1L);
        assertThat(expected.deadLettersLive()).isEqualTo(2);
        assertThat(expected.deadLettersReplay()).isZero();
        assertThat(expected.ledgerRows()).isZero();
    }

    private void event(StockEvent event) {
        records.add(new Workload.Sent(event.sku(), event.toJson(), Workload.Kind.EVENT, event.eventId()));
    }

    private Expectation model(int initialStock) {
        return Expectation.of(new Workload("run", List.of("A"), initialStock, records));
    }
}
