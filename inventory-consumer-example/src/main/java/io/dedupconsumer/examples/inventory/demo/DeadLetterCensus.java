package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.spring.DedupErrorHandling;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the whole dead-letter topic and counts its records by the {@code dedup-outcome} header, and those that carry a
 * {@code dedup-reason}: a dead letter without its reason is one a human cannot act on.
 *
 * @param byOutcome dead letters per {@code dedup-outcome} header value ({@code (none)} when missing)
 * @param withReason dead letters with a non-empty {@code dedup-reason} header
 * @param total all dead letters
 */
record DeadLetterCensus(Map<String, Long> byOutcome, long withReason, long total) {

    private static final Duration POLL = Duration.ofMillis(500);
    private static final long TIMEOUT_MILLIS = 30_000;

    static DeadLetterCensus read(String bootstrapServers, String topic) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Long> byOutcome = new TreeMap<>();
        long withReason = 0;
        long total = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
            while (!reached(consumer, end)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + TIMEOUT_MILLIS
                            + " ms");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    total++;
                    byOutcome.merge(header(record, DedupErrorHandling.OUTCOME_HEADER, "(none)"), 1L, Long::sum);
                    if (!header(record, DedupErrorHandling.REASON_HEADER, "").isBlank()) {
                        withReason++;
                    }
                }
            }
        }
        return new DeadLetterCensus(byOutcome, withReason, total);
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(entry -> consumer.position(entry.getKey()) >= entry.getValue());
    }

    private static String header(ConsumerRecord<?, ?> record, String name, String missing) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? missing : new String(header.value(), StandardCharsets.UTF_8);
    }
}
