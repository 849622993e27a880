package io.dedupconsumer.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class KafkaBrokerTests {

    private final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void sharedIsOneBrokerPerJvm() {
        assertThat(KafkaBroker.shared()).isSameAs(this.broker);
        assertThat(this.broker.bootstrapServers()).isNotBlank();
    }

    @Test
    void embeddedBrokerListensOnTheLoopbackAddressOnly() throws Exception {
        assumeTrue(System.getenv(KafkaBroker.BOOTSTRAP_SERVERS_ENV) == null, "external cluster in use");
        assertThat(this.broker.bootstrapServers()).startsWith("127.0.0.1:");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                this.broker.bootstrapServers()))) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).extracting(Node::host)
                    .containsExactly("127.0.0.1");
        }
    }

    @Test
    void producedRecordsAreReadBackFromTheBeginning() throws Exception {
        String topic = this.broker.uniqueTopic("produce-read", 3);
        List<String> sent = IntStream.range(0, 30).mapToObj(i -> "value-" + i).collect(Collectors.toList());
        send(topic, sent);

        List<ConsumerRecord<byte[], byte[]>> records = this.broker.readAll(topic, sent.size(), Duration.ofSeconds(30));

        assertThat(records).extracting(r -> text(r.value())).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(records).extracting(ConsumerRecord::partition).containsOnly(0, 1, 2);
    }

    @Test
    void readAllShowsRecordsBeyondTheExpectedCount() throws Exception {
        String topic = this.broker.uniqueTopic("beyond", 1);
        send(topic, List.of("a", "b", "b-again"));

        List<ConsumerRecord<byte[], byte[]>> records = this.broker.readAll(topic, 2, Duration.ofSeconds(30));

        assertThat(records).extracting(r -> text(r.value())).containsExactly("a", "b", "b-again");
    }

    @Test
    void readAllReturnsWhatItHasWhenTheTimeoutExpires() throws Exception {
        String topic = this.broker.uniqueTopic("short", 1);
        send(topic, List.of("only"));

        List<ConsumerRecord<byte[], byte[]>> records = this.broker.readAll(topic, 5, Duration.ofSeconds(1));

        assertThat(records).extracting(r -> text(r.value())).containsExactly("only");
    }

    @Test
    void uniqueTopicCreatesADistinctTopicWithTheRequestedPartitions() {
        String first = this.broker.uniqueTopic("unique", 4);
        String second = this.broker.uniqueTopic("unique", 4);

        assertThat(first).startsWith("unique-").isNotEqualTo(second);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(this.broker.producerProps())) {
            assertThat(producer.partitionsFor(first)).hasSize(4);
        }
    }

    @Test
    void createTopicAcceptsAnExistingTopicWithTheSamePartitions() {
        String topic = this.broker.uniqueTopic("again", 2);

        this.broker.createTopic(topic, 2);

        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(this.broker.producerProps())) {
            assertThat(producer.partitionsFor(topic)).hasSize(2);
        }
    }

    @Test
    void committedOffsetsShowWhatAGroupCommitted() throws Exception {
        String topic = this.broker.uniqueTopic("offsets", 2);
        send(topic, List.of("a", "b", "c", "d", "e"));
        String group = "offsets-" + UUID.randomUUID();
        assertThat(this.broker.committedOffsets(group, topic)).isEmpty();

        List<ConsumerRecord<byte[], byte[]>> consumed = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(this.broker.consumerProps(group))) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(consumed::add);
                return consumed.size() >= 5;
            });
            consumer.commitSync();
        }

        Map<TopicPartition, Long> committed = this.broker.committedOffsets(group, topic);
        assertThat(committed.keySet()).allMatch(p -> p.topic().equals(topic));
        assertThat(committed.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(5);
    }

    @Test
    void shareGroupRedeliversAReleasedRecordWithItsDeliveryCountAndArchivesItAtTheLimit() throws Exception {
        String topic = oneRecordShareTopic("share-release", Duration.ofSeconds(15));

        List<Short> deliveries = new ArrayList<>();
        try (KafkaShareConsumer<byte[], byte[]> consumer = subscribed(topic)) {
            // the broker's group.share.delivery.count.limit is 5: released a fifth time, the record is archived
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    deliveries.add(record.deliveryCount().orElseThrow());
                    consumer.acknowledge(record, AcknowledgeType.RELEASE);
                }
                consumer.commitSync();
                return deliveries.size() >= 5;
            });
            List<ConsumerRecord<byte[], byte[]>> afterLimit = new ArrayList<>();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    afterLimit.add(record);
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                }
            }
            assertThat(afterLimit).isEmpty();
        }
        assertThat(deliveries).containsExactly((short) 1, (short) 2, (short) 3, (short) 4, (short) 5);
    }

    @Test
    void shareGroupHandsARecordWhoseLockExpiredToAnotherConsumerAndRefusesTheFirstOnesLateAcceptance() throws Exception {
        String topic = oneRecordShareTopic("share-lock", Duration.ofSeconds(2));

        try (KafkaShareConsumer<byte[], byte[]> a = subscribed(topic);
                KafkaShareConsumer<byte[], byte[]> b = subscribed(topic)) {
            List<ConsumerRecord<byte[], byte[]>> first = new ArrayList<>();
            List<KafkaShareConsumer<byte[], byte[]>> holder = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (KafkaShareConsumer<byte[], byte[]> consumer : List.of(a, b)) {
                    if (holder.isEmpty()) {
                        consumer.poll(Duration.ofMillis(100)).forEach(first::add);
                        if (!first.isEmpty()) {
                            holder.add(consumer); // holds it without acknowledging, like a stalled handler
                        }
                    }
                }
                return !holder.isEmpty();
            });
            KafkaShareConsumer<byte[], byte[]> other = holder.get(0) == a ? b : a;
            List<ConsumerRecord<byte[], byte[]>> second = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                other.poll(Duration.ofMillis(100)).forEach(second::add);
                return !second.isEmpty();
            });
            assertThat(second).singleElement().satisfies(record -> {
                assertThat(record.offset()).isEqualTo(first.get(0).offset());
                assertThat(record.deliveryCount()).contains((short) 2);
            });

            holder.get(0).acknowledge(first.get(0), AcknowledgeType.ACCEPT);
            Map<TopicIdPartition, Optional<KafkaException>> late = holder.get(0).commitSync();
            assertThat(late.values()).singleElement().satisfies(error -> assertThat(error).isPresent());
            other.acknowledge(second.get(0), AcknowledgeType.ACCEPT);
            assertThat(other.commitSync().values()).allMatch(Optional::isEmpty);
        }
    }

    @Test
    void shareGroupKeepsARenewedRecordWithItsConsumerPastTheLockAndHandsItBackOnTheNextPoll() throws Exception {
        String topic = oneRecordShareTopic("share-renew", Duration.ofSeconds(2));

        try (KafkaShareConsumer<byte[], byte[]> holder = subscribed(topic);
                KafkaShareConsumer<byte[], byte[]> other = subscribed(topic)) {
            List<ConsumerRecord<byte[], byte[]>> held = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                holder.poll(Duration.ofMillis(100)).forEach(held::add);
                return !held.isEmpty();
            });
            List<ConsumerRecord<byte[], byte[]>> stolen = new ArrayList<>();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6); // three lock durations
            while (System.nanoTime() < until) {
                // RENEW, commit, and the next poll hands the record back: the new instance is the one to acknowledge
                ConsumerRecord<byte[], byte[]> current = held.get(held.size() - 1);
                holder.acknowledge(current, AcknowledgeType.RENEW);
                assertThat(holder.commitSync().values()).allMatch(Optional::isEmpty);
                int before = held.size();
                await().atMost(Duration.ofSeconds(5)).until(() -> {
                    holder.poll(Duration.ofMillis(100)).forEach(held::add);
                    return held.size() > before;
                });
                other.poll(Duration.ofMillis(100)).forEach(stolen::add);
                Thread.sleep(800);
            }
            holder.acknowledge(held.get(held.size() - 1), AcknowledgeType.ACCEPT);

            assertThat(holder.commitSync().values()).allMatch(Optional::isEmpty);
            assertThat(stolen).isEmpty();
            assertThat(held).allSatisfy(record -> {
                assertThat(record.offset()).isEqualTo(0);
                assertThat(record.deliveryCount()).contains((short) 1);
            });
        }
    }

    /** A one-partition topic holding one record; its share group, {@code share-<topic>}, reads from the start. */
    private String oneRecordShareTopic(String prefix, Duration lockDuration) throws Exception {
        String topic = this.broker.uniqueTopic(prefix, 1);
        this.broker.configureShareGroup("share-" + topic, lockDuration);
        send(topic, List.of("only"));
        return topic;
    }

    /** A consumer of the topic's share group, with explicit acknowledgement. */
    private KafkaShareConsumer<byte[], byte[]> subscribed(String topic) {
        Map<String, Object> props = new HashMap<>(this.broker.consumerProps("share-" + topic));
        props.remove("auto.offset.reset");
        props.remove("enable.auto.commit");
        props.put("share.acknowledgement.mode", "explicit");
        KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(props);
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private void send(String topic, List<String> values) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(this.broker.producerProps())) {
            for (int i = 0; i < values.size(); i++) {
                byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, key, values.get(i).getBytes(StandardCharsets.UTF_8))).get();
            }
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
