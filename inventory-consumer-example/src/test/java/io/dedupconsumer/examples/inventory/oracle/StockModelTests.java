package io.dedupconsumer.examples.inventory.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.StockEvent;
import io.dedupconsumer.examples.inventory.oracle.StockModel.Effect;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StockModelTests {

    private static final Instant AT = Instant.parse("2026-01-05T08:00:00Z");

    private final StockModel model = new StockModel(Map.of("A", 10, "B", 0));

    @Test
    void aDeductionTakesItsUnitsWhenEnoughAreAvailable() {
        Effect effect = model.apply(StockEvent.deduct("e1", "o1", "A", 10, AT));

        assertThat(effect).isEqualTo(new Effect(null, StockModel.APPLIED, "A", -10));
        assertThat(effect.outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(model.stock()).containsEntry("A", 0);
    }

    @Test
    void aDeductionBeyondTheAvailableUnitsIsRefusedWithALedgerRowThatMovesNothing() {
        model.apply(StockEvent.deduct("e1", "o1", "A", 6, AT));

        Effect effect = model.apply(StockEvent.deduct("e2", "o2", "A", 5, AT));

        assertThat(effect).isEqualTo(new Effect(Refusal.OUT_OF_STOCK, "OUT_OF_STOCK", "A", 0));
        assertThat(effect.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(model.stock()).containsEntry("A", 4);
    }

    @Test
    void aDeductionSentAgainAfterItsRefusalIsAppliedOnceStockArrived() {
        model.apply(StockEvent.deduct("e1", "o1", "B", 3, AT));
        model.apply(StockEvent.restock("e2", "B", 5, AT));

        Effect resent = model.apply(StockEvent.deduct("e3", "o1", "B", 3, AT)); // the order again, under a new event id

        assertThat(resent).isEqualTo(new Effect(null, StockModel.APPLIED, "B", -3));
        assertThat(model.stock()).containsEntry("B", 2);
    }

    @Test
    void aCancellationGivesBackEveryAppliedDeductionOfItsOrderOnlyOnce() {
        model.apply(StockEvent.deduct("e1", "o1", "A", 4, AT));
        model.apply(StockEvent.deduct("e2", "o1", "A", 2, AT));

        Effect first = model.apply(StockEvent.cancel("e3", "o1", "A", AT));
        Effect second = model.apply(StockEvent.cancel("e4", "o1", "A", AT));

        assertThat(first).isEqualTo(new Effect(null, StockModel.APPLIED, "A", 6));
        assertThat(second).isEqualTo(new Effect(Refusal.NOTHING_TO_CANCEL, "NOTHING_TO_CANCEL", "A", 0));
        assertThat(model.stock()).containsEntry("A", 10);
    }

    @Test
    void cancellingADeductionThatRanOutOfStockOrOfAnotherSkuGivesNothingBack() {
        model.apply(StockEvent.deduct("e1", "o1", "A", 40, AT));
        model.apply(StockEvent.deduct("e2", "o2", "A", 1, AT));

        assertThat(model.apply(StockEvent.cancel("e3", "o1", "A", AT)).refusal()).isEqualTo(Refusal.NOTHING_TO_CANCEL);
        assertThat(model.apply(StockEvent.cancel("e4", "o2", "B", AT)).refusal()).isEqualTo(Refusal.NOTHING_TO_CANCEL);
        assertThat(model.stock()).containsEntry("A", 9).containsEntry("B", 0);
    }

    @Test
    void anEventOnAnUnknownSkuIsRefusedWithoutALedgerRow() {
        for (StockEvent event : new StockEvent[] {StockEvent.deduct("e1", "o1", "Z", 1, AT),
            StockEvent.cancel("e2", "o1", "Z", AT), StockEvent.restock("e3", "Z", 5, AT)}) {
            assertThat(model.apply(event)).isEqualTo(new Effect(Refusal.UNKNOWN_SKU, null, "Z", 0));
        }
        assertThat(model.stock()).containsOnlyKeys("A", "B");
    }

    @Test
    void aValueThatIsNotAStockEventIsRefusedAsMalformed() {
        assertThat(model.apply("{\"eventId\":\"e1\",\"type\":\"TELEPORT\"}"))
                .isEqualTo(new Effect(Refusal.MALFORMED, null, null, 0));
        assertThat(model.apply((String) null).refusal()).isEqualTo(Refusal.MALFORMED);
        assertThat(model.apply(StockEvent.restock("e2", "A", 5, AT).toJson()))
                .isEqualTo(new Effect(null, StockModel.APPLIED, "A", 5));
        assertThat(model.initialStock()).containsEntry("A", 10);
    }
}
