package io.dedupconsumer.chaos;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Classified;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Kind;
import io.dedupconsumer.examples.inventory.oracle.StockModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What a stock events topic must have led to, computed from the topic alone and independently of the service's SQL,
 * by the inventory example's shared oracle: every record classified the way the dedup protocol must see it
 * ({@link RecordClassifier}: first record of an event id, exact re-send, same id with another payload, no usable id),
 * and the unique events applied in partition order with the inventory service's rules ({@link StockModel}).
 *
 * <p>Events are keyed by SKU, so a SKU's events are on one partition, in the order the service applies them: the
 * protocol processes each partition in offset order, also across crashes and rebalances (a redelivered record is a
 * duplicate, and a zombie racing the new owner of its partition loses the claim on the unique index). A SKU found on
 * several partitions makes the stock model approximate, and the report says so.
 */
final class TopicModel {

    /**
     * One record and how it must be handled.
     *
     * @param record the record
     * @param kind its kind
     * @param eventId its event id; {@code null} for {@link Kind#INVALID}
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
        Map<String, List<TopicRecord>> occurrences = new LinkedHashMap<>();
        for (TopicRecord record : ordered) {
            String key = eventId(topic, record);
            if (key != null) {
                occurrences.computeIfAbsent(key, k -> new ArrayList<>()).add(record);
            }
        }
        // The classifier takes the first record it is given as the first of its key: partition order, except for an
        // event id on several partitions, whose first is the record the database claimed it with.
        Set<String> keysOnSeveralPartitions = new HashSet<>();
        List<TopicRecord> claimOrder = new ArrayList<>();
        for (Map.Entry<String, List<TopicRecord>> occurrence : occurrences.entrySet()) {
            List<TopicRecord> list = occurrence.getValue();
            if (list.stream().map(TopicRecord::partition).distinct().count() > 1) {
                keysOnSeveralPartitions.add(occurrence.getKey());
                String claimed = claimedAt.get(occurrence.getKey());
                list.stream().filter(candidate -> candidate.coordinates().equals(claimed)).findFirst()
                        .ifPresent(claimOrder::add);
            }
        }
        Set<TopicRecord> claimedFirst = new HashSet<>(claimOrder);
        ordered.stream().filter(record -> !claimedFirst.contains(record)).forEach(claimOrder::add);
        RecordClassifier classifier = new RecordClassifier();
        Map<TopicRecord, Classified> classified = new HashMap<>();
        for (TopicRecord record : claimOrder) {
            classified.put(record, classifier.classify(consumerRecord(topic, record)));
        }
        List<Entry> entries = new ArrayList<>(ordered.size());
        for (TopicRecord record : ordered) {
            Classified kind = classified.get(record);
            entries.add(new Entry(record, kind.kind(), kind.key()));
        }

        StockModel model = new StockModel(initialStock);
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
                StockModel.Effect effect = model.apply(first.value());
                decision = new Decision(entry.eventId(), first, effect.outcome(), effect.refusal(), effect.ledgerResult(),
                        effect.sku(), effect.delta());
                if (effect.sku() != null && model.stock().containsKey(effect.sku())) {
                    skuPartitions.computeIfAbsent(effect.sku(), s -> new HashSet<>()).add(first.partition());
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
        return new TopicModel(List.copyOf(entries), Collections.unmodifiableMap(decisions), model.initialStock(),
                model.stock(), Set.copyOf(keysOnSeveralPartitions), Set.copyOf(skusOnSeveralPartitions));
    }

    /** The record's dedup key exactly as the service derives it ({@link RecordClassifier#key}), or {@code null}. */
    static String eventId(String topic, TopicRecord record) {
        return RecordClassifier.key(consumerRecord(topic, record));
    }

    /** The library's fingerprint of the record ({@link RecordClassifier#fingerprint}), or {@code null}. */
    static byte[] fingerprint(String topic, TopicRecord record) {
        return RecordClassifier.fingerprint(consumerRecord(topic, record));
    }

    private static ConsumerRecord<String, String> consumerRecord(String topic, TopicRecord record) {
        return new ConsumerRecord<>(topic, record.partition(), record.offset(), record.key(), record.value());
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
