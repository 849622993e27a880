package io.dedupconsumer.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
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
