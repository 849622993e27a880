package io.dedupconsumer.chaos;

import io.dedupconsumer.examples.inventory.oracle.RecordClassifier;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Classified;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Kind;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, while the chaos runs, that no committed offset is ahead of its effect: for every partition, each record below
 * the group's committed offset is done, that is its event id has a dedup row (first record or re-send) or the record
 * is in the dead-letter topic (no event id, conflict, failed). The order of the reads is what makes the check sound:
 * offsets first, then the dead letters and the database, so anything the service committed before an offset is seen.
 *
 * <p>It is incremental (each sample checks only the records between the previous committed offsets and the new ones)
 * and reads the database directly, not through the proxy the chaos cuts. One thread calls {@link #sample()}.
 */
final class EffectAudit implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EffectAudit.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final int CHUNK = 500;

    /** A record the audit still has to check: where it is, and what proves it done. */
    private record Pending(TopicRecord record, Kind kind, String eventId) {
    }

    private final KafkaTopics kafka;
    private final String topic;
    private final String group;
    private final DataSource dataSource;
    private final String consumerName;
    private final KafkaConsumer<String, String> records;
    private final KafkaConsumer<String, String> deadLetters;
    private final Map<Integer, List<Pending>> unchecked = new HashMap<>();
    private final RecordClassifier classifier = new RecordClassifier();
    private final Set<String> claimed = new HashSet<>();
    private final Set<String> lettered = new HashSet<>();
    private final Set<String> violations = new LinkedHashSet<>();
    private long samples;
    private long checked;

    EffectAudit(KafkaTopics kafka, String topic, String group, DataSource dataSource, String consumerName) {
        this.kafka = kafka;
        this.topic = topic;
        this.group = group;
        this.dataSource = dataSource;
        this.consumerName = consumerName;
        this.records = kafka.consumer();
        this.deadLetters = kafka.consumer();
        List<TopicPartition> partitions = kafka.partitions(topic);
        records.assign(partitions);
        records.seekToBeginning(partitions);
        List<TopicPartition> letterPartitions = kafka.partitions(topic + "-dlt");
        deadLetters.assign(letterPartitions);
        deadLetters.seekToBeginning(letterPartitions);
    }

    /**
     * Checks the records that came below the committed offsets since the last sample.
     *
     * @return the violations found by this sample
     */
    List<String> sample() {
        Map<TopicPartition, Long> committed = kafka.committed(group, topic);
        readDeadLetters(kafka.endOffsets(topic + "-dlt"));
        readRecords(committed);
        List<Pending> due = new ArrayList<>();
        Map<Integer, Integer> dueCounts = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> offset : committed.entrySet()) {
            List<Pending> list = unchecked.getOrDefault(offset.getKey().partition(), List.of());
            int count = 0;
            while (count < list.size() && list.get(count).record().offset() < offset.getValue()) {
                count++;
            }
            due.addAll(list.subList(0, count));
            dueCounts.put(offset.getKey().partition(), count);
        }
        List<String> keys = new ArrayList<>();
        for (Pending pending : due) {
            if (pending.eventId() != null && !claimed.contains(pending.eventId())) {
                keys.add(pending.eventId());
            }
        }
        loadClaims(keys);
        List<String> found = new ArrayList<>();
        for (Pending pending : due) {
            boolean done = switch (pending.kind()) {
                case FIRST, DUPLICATE -> claimed.contains(pending.eventId()) || lettered.contains(pending.record().coordinates());
                case CONFLICT, INVALID -> lettered.contains(pending.record().coordinates());
            };
            if (!done) {
                String violation = "partition " + pending.record().partition() + " committed at "
                        + committed.get(new TopicPartition(topic, pending.record().partition())) + " while "
                        + pending.record().coordinates() + " (" + pending.kind() + (pending.eventId() == null ? ""
                        : " event " + pending.eventId()) + ") had no " + (pending.eventId() == null
                        || pending.kind() == Kind.CONFLICT ? "dead letter" : "dedup row or dead letter");
                if (violations.add(violation)) {
                    found.add(violation);
                    log.error("offset ahead of its effect: {}", violation);
                }
            }
        }
        dueCounts.forEach((partition, count) -> unchecked.get(partition).subList(0, count).clear());
        samples++;
        checked += due.size();
        return found;
    }

    private void readDeadLetters(Map<TopicPartition, Long> end) {
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (!KafkaTopics.reached(deadLetters, end)) {
            requireTime(deadline, topic + "-dlt");
            for (ConsumerRecord<String, String> record : deadLetters.poll(POLL)) {
                lettered.add(KafkaTopics.deadLetter(record).coordinates());
            }
        }
    }

    private void readRecords(Map<TopicPartition, Long> committed) {
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (!KafkaTopics.reached(records, committed)) {
            requireTime(deadline, topic);
            for (ConsumerRecord<String, String> consumed : records.poll(POLL)) {
                TopicRecord record = new TopicRecord(consumed.partition(), consumed.offset(), consumed.key(), consumed.value());
                Classified classified = classifier.classify(consumed);
                String eventId = classified.key();
                Kind kind = classified.kind();
                unchecked.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(new Pending(record, kind, eventId));
            }
        }
    }

    private static void requireTime(long deadline, String what) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("could not read " + what + " within " + READ_TIMEOUT);
        }
    }

    private void loadClaims(List<String> keys) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
        try (Connection connection = dataSource.getConnection()) {
            for (int from = 0; from < distinct.size(); from += CHUNK) {
                claimed.addAll(DatabaseState.claims(connection, consumerName,
                        distinct.subList(from, Math.min(distinct.size(), from + CHUNK))).keySet());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read dedup rows: " + e.getMessage(), e);
        }
    }

    long samples() {
        return samples;
    }

    /** Records checked below committed offsets so far. */
    long checked() {
        return checked;
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    @Override
    public void close() {
        records.close();
        deadLetters.close();
    }
}
