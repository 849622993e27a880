package io.dedupconsumer.chaos;

import io.dedupconsumer.examples.inventory.oracle.GroupOffsets;
import io.dedupconsumer.spring.DedupErrorHandling;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.kafka.support.KafkaHeaders;

/**
 * What the verifier and the chaos suite need from Kafka, on one Admin client: topics, offsets, consumer groups, and
 * reading a whole topic (stock events or dead letters) without joining a group or committing anything.
 */
final class KafkaTopics implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    private final String bootstrapServers;
    private final Admin admin;

    KafkaTopics(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        this.admin = Admin.create(config);
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    /** Whether {@code topic} exists. */
    boolean exists(String topic) {
        return get(admin.listTopics().names(), "list topics").contains(topic);
    }

    /** Creates {@code topic} unless it exists, and waits until every partition has a leader. */
    void create(String topic, int partitions) {
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())))
                    .all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + topic, e);
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!leadersKnown(topic, partitions)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " has no leader for every partition after " + TIMEOUT);
            }
            pause();
        }
    }

    private boolean leadersKnown(String topic, int partitions) {
        TopicDescription description;
        try {
            description = describe(topic);
        } catch (IllegalStateException e) {
            return false;
        }
        if (description.partitions().size() != partitions) {
            throw new IllegalStateException("topic " + topic + " exists with " + description.partitions().size()
                    + " partitions, not " + partitions);
        }
        return description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
    }

    private TopicDescription describe(String topic) {
        return get(admin.describeTopics(List.of(topic)).allTopicNames(), "describe topic " + topic).get(topic);
    }

    /** The partitions of {@code topic}; empty when it does not exist. */
    List<TopicPartition> partitions(String topic) {
        try {
            return describe(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return List.of();
            }
            throw e;
        }
    }

    /** The next offset to be written, per partition. */
    Map<TopicPartition, Long> endOffsets(String topic) {
        return offsets(topic, p -> OffsetSpec.latest());
    }

    /** The first offset still held, per partition. */
    Map<TopicPartition, Long> beginningOffsets(String topic) {
        return offsets(topic, p -> OffsetSpec.earliest());
    }

    /** The first offset whose record is at or after {@code at}, per partition; the end offset when there is none. */
    Map<TopicPartition, Long> offsetsAt(String topic, Instant at) {
        Map<TopicPartition, Long> found = offsets(topic, p -> OffsetSpec.forTimestamp(at.toEpochMilli()));
        Map<TopicPartition, Long> end = endOffsets(topic);
        Map<TopicPartition, Long> result = new HashMap<>();
        found.forEach((partition, offset) -> result.put(partition, offset < 0 ? end.get(partition) : offset));
        return result;
    }

    private Map<TopicPartition, Long> offsets(String topic, Function<TopicPartition, OffsetSpec> spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartition partition : partitions(topic)) {
            request.put(partition, spec.apply(partition));
        }
        Map<TopicPartition, ListOffsetsResultInfo> infos = get(admin.listOffsets(request).all(), "list offsets of " + topic);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        infos.forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    /** The offsets {@code group} committed on {@code topic}; partitions without one are absent. */
    Map<TopicPartition, Long> committed(String group, String topic) {
        return GroupOffsets.committed(admin, group, topic, TIMEOUT);
    }

    /** The members of {@code group} now (client ids and hosts); empty for a group without members or none at all. */
    List<String> members(String group) {
        try {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups()
                    .get(group).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return description.members().stream().map(m -> m.clientId() + m.host()).toList();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of();
            }
            throw new IllegalStateException("cannot describe group " + group + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing group " + group, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out describing group " + group, e);
        }
    }

    /** Whether {@code group} has committed any offset on {@code topic}. */
    boolean hasOffsets(String group, String topic) {
        return !committed(group, topic).isEmpty();
    }

    /** Sets {@code group}'s committed offsets; the group must have no active member (Kafka refuses otherwise). */
    void setOffsets(String group, Map<TopicPartition, Long> offsets) {
        Map<TopicPartition, OffsetAndMetadata> request = new HashMap<>();
        offsets.forEach((partition, offset) -> request.put(partition, new OffsetAndMetadata(offset)));
        get(admin.alterConsumerGroupOffsets(group, request).all(), "set the offsets of group " + group);
    }

    /** Every record of {@code topic} up to its end offsets at the time of the call, in partition order. */
    List<TopicRecord> readAll(String topic) {
        return read(topic, r -> new TopicRecord(r.partition(), r.offset(), r.key(), r.value()));
    }

    /** Every record of the dead-letter topic {@code topic}; empty when it does not exist. */
    List<DeadLetter> readDeadLetters(String topic) {
        return read(topic, KafkaTopics::deadLetter);
    }

    static DeadLetter deadLetter(ConsumerRecord<String, String> record) {
        Headers headers = record.headers();
        Header partition = headers.lastHeader(KafkaHeaders.DLT_ORIGINAL_PARTITION);
        Header offset = headers.lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET);
        return new DeadLetter(
                partition == null || partition.value().length != Integer.BYTES ? -1 : ByteBuffer.wrap(partition.value()).getInt(),
                offset == null || offset.value().length != Long.BYTES ? -1 : ByteBuffer.wrap(offset.value()).getLong(),
                text(headers.lastHeader(DedupErrorHandling.OUTCOME_HEADER)),
                text(headers.lastHeader(DedupErrorHandling.REASON_HEADER)));
    }

    private static String text(Header header) {
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private <T> List<T> read(String topic, Function<ConsumerRecord<String, String>, T> mapper) {
        List<TopicPartition> partitions = partitions(topic);
        List<T> records = new ArrayList<>();
        if (partitions.isEmpty()) {
            return records;
        }
        Map<TopicPartition, Long> end = endOffsets(topic);
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + TIMEOUT.multipliedBy(4).toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end offsets " + end);
                }
                consumer.poll(POLL).forEach(record -> records.add(mapper.apply(record)));
            }
        }
        return records;
    }

    /** A consumer outside any group that commits nothing, for reading topics. */
    KafkaConsumer<String, String> consumer() {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "dedup-verifier-" + UUID.randomUUID().toString().substring(0, 8));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> entry : end.entrySet()) {
            if (consumer.position(entry.getKey()) < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** The sum of {@code offsets} minus the sum of {@code from} over the same partitions (0 where absent). */
    static long distance(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to) {
        long total = 0;
        for (Map.Entry<TopicPartition, Long> entry : to.entrySet()) {
            total += Math.max(0, entry.getValue() - from.getOrDefault(entry.getKey(), 0L));
        }
        return total;
    }

    /** Whether {@code committed} reached {@code end} on every partition of {@code end}. */
    static boolean caughtUp(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> entry : end.entrySet()) {
            if (committed.getOrDefault(entry.getKey(), 0L) < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future, String what) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out trying to " + what, e);
        }
    }

    private static void pause() {
        LockSupport.parkNanos(POLL.toNanos());
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
