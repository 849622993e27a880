package io.dedupconsumer.examples.inventory;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * The deduplicated listener: everything that happens in this method (the stock update, the ledger row, a dead letter)
 * commits in one database transaction with the claim of the event id, and the offset is committed only after it. A
 * re-sent or redelivered event, whose id is already claimed, never reaches the method.
 *
 * <p>{@code @Deduplicated(jsonField = "eventId")} takes the dedup key from the JSON value; a record without one is
 * dead-lettered by the library as {@code INVALID}, and an event id that comes back with another payload as
 * {@code CONFLICT}. The consumer name is fixed ({@code dedup.consumer-name}) instead of following the group id, so a
 * replay under a new consumer group finds the keys it must not apply again.
 *
 * <p>One transaction per record: the listener of {@code inventory.listener=record}, the default. The throughput mode,
 * {@code inventory.listener=batch}, is {@link StockEventBatchListener}.
 *
 * <p>Not {@code final}: the library proxies {@code @Deduplicated} methods.
 */
@Component
@ConditionalOnProperty(name = "inventory.listener", havingValue = "record", matchIfMissing = true)
class StockEventListener {

    private final Inventory inventory;
    private final DeadLetters deadLetters;

    StockEventListener(Inventory inventory, DeadLetters deadLetters) {
        this.inventory = inventory;
        this.deadLetters = deadLetters;
    }

    /**
     * Applies one stock event.
     *
     * @return {@code processed()} when the stock moved, {@code rejected(reason)} for a recorded refusal (out of
     *     stock, nothing to cancel, unknown SKU, malformed), which commits and is never retried
     */
    @KafkaListener(topics = "${inventory.topic:stock-events}", concurrency = "${inventory.concurrency:2}")
    @Deduplicated(jsonField = "eventId", consumer = "${dedup.consumer-name:inventory-service}")
    public HandlerResult onStockEvent(ConsumerRecord<String, String> record) {
        Decision decision;
        try {
            decision = inventory.apply(StockEvent.parse(record.value()));
        } catch (MalformedEventException e) {
            decision = Decision.refused(Refusal.MALFORMED, e.getMessage());
        }
        if (!decision.applied() && decision.refusal().deadLettered()) {
            deadLetters.publish(record, decision.reason());
        }
        return decision.handlerResult();
    }
}
