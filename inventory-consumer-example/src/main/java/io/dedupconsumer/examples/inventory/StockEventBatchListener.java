package io.dedupconsumer.examples.inventory;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * The throughput mode ({@code inventory.listener=batch}): a deduplicated batch listener. The library claims the
 * whole poll batch in one database transaction and calls this method once with the records whose event ids it newly
 * claimed (duplicates, conflicts and records without an event id are already taken out), so the stock moves with one
 * JDBC batch of conditional updates and one of ledger rows ({@link Inventory#applyAll}) instead of a transaction and
 * four statement round trips per record. The outcome is the same as {@link StockEventListener}'s, record by record:
 * the returned list holds one result per record, in the order given, and a refusal commits with the rest.
 *
 * <p>When the method throws (a dead letter the broker did not acknowledge, say), the transaction rolls back and the
 * library calls it again on halves of the batch until the failing record is alone; the method keeps no state of its
 * own, so it can be called again with part of what it was given.
 *
 * <p>Not {@code final}: the library proxies {@code @Deduplicated} methods.
 */
@Component
@ConditionalOnProperty(name = "inventory.listener", havingValue = "batch")
class StockEventBatchListener {

    private final Inventory inventory;
    private final DeadLetters deadLetters;

    StockEventBatchListener(Inventory inventory, DeadLetters deadLetters) {
        this.inventory = inventory;
        this.deadLetters = deadLetters;
    }

    /**
     * Applies the newly claimed stock events of one poll, in order.
     *
     * @return one result per record: {@code processed()} when the stock moved, {@code rejected(reason)} for a recorded
     *     refusal (out of stock, nothing to cancel, unknown SKU, malformed)
     */
    @KafkaListener(topics = "${inventory.topic:stock-events}", concurrency = "${inventory.concurrency:2}", batch = "true")
    @Deduplicated(jsonField = "eventId", consumer = "${dedup.consumer-name:inventory-service}")
    public List<HandlerResult> onStockEvents(List<ConsumerRecord<String, String>> records) {
        Decision[] decisions = new Decision[records.size()];
        List<StockEvent> events = new ArrayList<>(records.size());
        List<Integer> positions = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            try {
                events.add(StockEvent.parse(records.get(i).value()));
                positions.add(i);
            } catch (MalformedEventException e) {
                decisions[i] = Decision.refused(Refusal.MALFORMED, e.getMessage());
            }
        }
        List<Decision> applied = inventory.applyAll(events);
        for (int j = 0; j < applied.size(); j++) {
            decisions[positions.get(j)] = applied.get(j);
        }
        List<HandlerResult> results = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            Decision decision = decisions[i];
            if (!decision.applied() && decision.refusal().deadLettered()) {
                deadLetters.publish(records.get(i), decision.reason());
            }
            results.add(decision.handlerResult());
        }
        return results;
    }
}
