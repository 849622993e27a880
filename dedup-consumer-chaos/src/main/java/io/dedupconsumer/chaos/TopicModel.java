package io.dedupconsumer.chaos;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Fingerprint;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.MalformedEventException;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.StockEvent;
import io.dedupconsumer.jdbc.DedupTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What a stock events topic must have led to, computed from the topic alone and independently of the service's SQL:
 * every record classified the way the dedup protocol must see it (first record of an event id, exact re-send, same id
 * with another payload, no usable id), and the unique events applied in partition order with the inventory service's
 * rules (a deduction only if enough units are available, a cancellation gives back only applied deductions not yet
 * given back, unknown SKUs and malformed events refused and dead-lettered).
 *
 * <p>Events are keyed by SKU, so a SKU's events are on one partition, in the order the service applies them: the
 * protocol processes each partition in offset order, also across crashes and rebalances (a redelivered record is a
 * duplicate, and a zombie racing the new owner of its partition loses the claim on the unique index). A SKU found on
 * several partitions makes the stock model approximate, and the report says so.
 */
final class TopicModel {

    /** The event id field the inventory service deduplicates on ({@code @Deduplicated(jsonField = "eventId")}). */
    static final DedupKey EVENT_ID = DedupKey.jsonField("eventId");
    static final String APPLIED = "APPLIED";
    private static final Fingerprint FINGERPRINT = Fingerprint.sha256();

    /** How the dedup protocol must see a record. */
    enum Kind {
        /** No usable event id: dead-lettered as {@code INVALID}. */
        NO_KEY,
        /** The first record of its event id: decided once (applied or refused). */
        FIRST,
        /** The same event id and the same bytes as the first: skipped. */
        DUPLICATE,
        /** The same event id with another payload: dead-lettered as {@code CONFLICT}. */
        CONFLICT
    }

    /**
     * One record and how it must be handled.
     *
     * @param record the record
     * @param kind its kind
     * @param eventId its event id; {@code null} for {@link Kind#NO_KEY}
     */
    record Entry(TopicRecord record, Kind kind, String eventId) {
    }

    /**
     * The expected decision on one unique event.
     *
     * @param eventId the event id
     * @param first the record that decides it
     * @param outcome {@code PROCESSED} or {@code REJECTED}; {@code null} when the record was dead-lettered as failed
     *     (its handler kept failing) and so decided nothing
     * @param refusal why it is refused, for {@code REJECTED}
     * @param ledgerResult the ledger row it must leave ({@code APPLIED}, {@code OUT_OF_STOCK},
     *     {@code NOTHING_TO_CANCEL}), {@code null} for none
     * @param sku the SKU it moves, {@code null} for a malformed event
     * @param delta the units it moves
     */
    record Decision(String eventId, TopicRecord first, Outcome outcome, Refusal refusal, String ledgerResult, String sku,
            int delta) {
    }

    private final List<Entry> entries;
    private final Map<String, Decision> decisions;
    private final Map<String, Integer> initialStock;
    private final Map<String, Integer> stock;
    private final Set<String> keysOnSeveralPartitions;
    private final Set<String> skusOnSeveralPartitions;

    private TopicModel(List<Entry> entries, Map<String, Decision> decisions, Map<String, Integer> initialStock,
            Map<String, Integer> stock, Set<String> keysOnSeveralPartitions, Set<String> skusOnSeveralPartitions) {
        this.entries = entries;
        this.decisions = decisions;
        this.initialStock = initialStock;
        this.stock = stock;
        this.keysOnSeveralPartitions = keysOnSeveralPartitions;
        this.skusOnSeveralPartitions = skusOnSeveralPartitions;
    }

    /**
     * Builds the model.
     *
     * @param topic the topic's name
     * @param records every record of the topic
     * @param initialStock units per known SKU before the first event; a SKU not in it is unknown to the service
     * @param claimedAt where the database says each event id was claimed ({@code partition@offset}); consulted only for
     *     an event id found on several partitions, whose first record the partition order cannot tell
     * @param failed coordinates of records dead-lettered as {@code FAILED}: they decided nothing
     */
    static TopicModel build(String topic, List<TopicRecord> records, Map<String, Integer> initialStock,
            Map<String, String> claimedAt, Set<String> failed) {
        List<TopicRecord> ordered = new ArrayList<>(records);
        ordered.sort(Comparator.comparingInt(TopicRecord::partition).thenComparingLong(TopicRecord::offset));
        Map<TopicRecord, String> keys = new HashMap<>();
        Map<String, List<TopicRecord>> occurrences = new LinkedHashMap<>();
        for (TopicRecord record : ordered) {
            String key = eventId(topic, record);
            if (key != null) {
                keys.put(record, key);
                occurrences.computeIfAbsent(key, k -> new ArrayList<>()).add(record);
            }
        }
        Set<String> keysOnSeveralPartitions = new HashSet<>();
        Map<String, TopicRecord> firsts = new HashMap<>();
        for (Map.Entry<String, List<TopicRecord>> occurrence : occurrences.entrySet()) {
            List<TopicRecord> list = occurrence.getValue();
            TopicRecord first = list.get(0);
            if (list.stream().map(TopicRecord::partition).distinct().count() > 1) {
                keysOnSeveralPartitions.add(occurrence.getKey());
                String claimed = claimedAt.get(occurrence.getKey());
                for (TopicRecord candidate : list) {
                    if (candidate.coordinates().equals(claimed)) {
                        first = candidate;
                    }
                }
            }
            firsts.put(occurrence.getKey(), first);
        }
        List<Entry> entries = new ArrayList<>(ordered.size());
        for (TopicRecord record : ordered) {
            String key = keys.get(record);
            if (key == null) {
                entries.add(new Entry(record, Kind.NO_KEY, null));
                continue;
            }
            TopicRecord first = firsts.get(key);
            Kind kind = first == record ? Kind.FIRST
                    : Arrays.equals(fingerprint(topic, first), fingerprint(topic, record)) ? Kind.DUPLICATE : Kind.CONFLICT;
            entries.add(new Entry(record, kind, key));
        }

        Map<String, Integer> stock = new TreeMap<>(initialStock);
        Map<String, List<int[]>> deductions = new HashMap<>();
        Map<String, Set<Integer>> skuPartitions = new HashMap<>();
        Map<String, Decision> decisions = new LinkedHashMap<>();
        for (Entry entry : entries) {
            if (entry.kind() != Kind.FIRST) {
                continue;
            }
            TopicRecord first = entry.record();
            Decision decision;
            if (failed.contains(first.coordinates())) {
                decision = new Decision(entry.eventId(), first, null, null, null, null, 0);
            } else {
                decision = decide(entry.eventId(), first, stock, deductions);
                if (decision.sku() != null && stock.containsKey(decision.sku())) {
                    skuPartitions.computeIfAbsent(decision.sku(), s -> new HashSet<>()).add(first.partition());
                }
            }
            decisions.put(entry.eventId(), decision);
        }
        Set<String> skusOnSeveralPartitions = new HashSet<>();
        skuPartitions.forEach((sku, partitions) -> {
            if (partitions.size() > 1) {
                skusOnSeveralPartitions.add(sku);
            }
        });
        return new TopicModel(List.copyOf(entries), Collections.unmodifiableMap(decisions), Map.copyOf(initialStock),
                Collections.unmodifiableMap(stock), Set.copyOf(keysOnSeveralPartitions), Set.copyOf(skusOnSeveralPartitions));
    }

    /**
     * The record's dedup key exactly as the service's {@code @Deduplicated(jsonField = "eventId")} derives it, or
     * {@code null} when it has none it can use (not JSON, no such field, empty, longer than the dedup table holds).
     */
    static String eventId(String topic, TopicRecord record) {
        String key;
        try {
            key = EVENT_ID.of(consumerRecord(topic, record));
        } catch (Exception e) {
            return null;
        }
        if (key == null || key.isEmpty() || key.codePointCount(0, key.length()) > DedupTable.MAX_KEY_LENGTH) {
            return null;
        }
        return key;
    }

    /** SHA-256 of the value, the library's default fingerprint. */
    static byte[] fingerprint(String topic, TopicRecord record) {
        try {
            return FINGERPRINT.of(consumerRecord(topic, record));
        } catch (Exception e) {
            throw new IllegalStateException("cannot fingerprint " + record.coordinates() + ": " + e, e);
        }
    }

    private static ConsumerRecord<String, String> consumerRecord(String topic, TopicRecord record) {
        return new ConsumerRecord<>(topic, record.partition(), record.offset(), record.key(), record.value());
    }

    /** The inventory service's rules ({@code Inventory}), on the model's stock. */
    private static Decision decide(String eventId, TopicRecord first, Map<String, Integer> stock,
            Map<String, List<int[]>> deductions) {
        StockEvent event;
        try {
            event = StockEvent.parse(first.value());
        } catch (MalformedEventException e) {
            return new Decision(eventId, first, Outcome.REJECTED, Refusal.MALFORMED, null, null, 0);
        }
        Integer available = stock.get(event.sku());
        if (available == null) {
            return new Decision(eventId, first, Outcome.REJECTED, Refusal.UNKNOWN_SKU, null, event.sku(), 0);
        }
        return switch (event.type()) {
            case DEDUCT -> {
                if (available >= event.quantity()) {
                    stock.put(event.sku(), available - event.quantity());
                    deductions.computeIfAbsent(event.orderId() + '\u0000' + event.sku(), k -> new ArrayList<>())
                            .add(new int[] {event.quantity(), 0});
                    yield new Decision(eventId, first, Outcome.PROCESSED, null, APPLIED, event.sku(), -event.quantity());
                }
                yield new Decision(eventId, first, Outcome.REJECTED, Refusal.OUT_OF_STOCK, Refusal.OUT_OF_STOCK.name(),
                        event.sku(), 0);
            }
            case CANCEL -> {
                int back = 0;
                for (int[] deduction : deductions.getOrDefault(event.orderId() + '\u0000' + event.sku(), List.of())) {
                    if (deduction[1] == 0) {
                        deduction[1] = 1;
                        back += deduction[0];
                    }
                }
                if (back == 0) {
                    yield new Decision(eventId, first, Outcome.REJECTED, Refusal.NOTHING_TO_CANCEL,
                            Refusal.NOTHING_TO_CANCEL.name(), event.sku(), 0);
                }
                stock.put(event.sku(), available + back);
                yield new Decision(eventId, first, Outcome.PROCESSED, null, APPLIED, event.sku(), back);
            }
            case RESTOCK -> {
                stock.put(event.sku(), available + event.quantity());
                yield new Decision(eventId, first, Outcome.PROCESSED, null, APPLIED, event.sku(), event.quantity());
            }
        };
    }

    /** Every record with its kind, in partition and offset order. */
    List<Entry> entries() {
        return entries;
    }

    /** The decision on each unique event id, in partition and offset order of their first records. */
    Map<String, Decision> decisions() {
        return decisions;
    }

    Map<String, Integer> initialStock() {
        return initialStock;
    }

    /** The expected units per known SKU after every event. */
    Map<String, Integer> stock() {
        return stock;
    }

    Set<String> keysOnSeveralPartitions() {
        return keysOnSeveralPartitions;
    }

    Set<String> skusOnSeveralPartitions() {
        return skusOnSeveralPartitions;
    }

    /** How many records are of {@code kind}. */
    long count(Kind kind) {
        return entries.stream().filter(entry -> entry.kind() == kind).count();
    }

    /** How many unique events are decided with {@code outcome} ({@code null}: dead-lettered as failed). */
    long decided(Outcome outcome) {
        return decisions.values().stream().filter(decision -> decision.outcome() == outcome).count();
    }
}
