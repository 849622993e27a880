package io.dedupconsumer.benchmark;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.transaction.annotation.Transactional;

/**
 * The listeners of the Spring scenarios, as a spring-kafka user writes them: {@link SideEffect}'s two statements
 * through a {@code JdbcTemplate}, per record or, in batch listeners, as one {@code batchUpdate} per statement. Each
 * {@code @Deduplicated} listener has a plain twin doing the same work in a {@code @Transactional} method, without
 * dedup: its unsafe baseline. Every listener is assigned the run's partitions ({@code bench.topic},
 * {@code bench.partitions}) rather than subscribing, so no group rebalance is timed.
 */
final class SpringListeners {

    private SpringListeners() {
    }

    /** Credits the account and appends the ledger row; a missing account is a refusal, as in {@link SideEffect}. */
    static HandlerResult apply(JdbcTemplate jdbc, ConsumerRecord<byte[], byte[]> record) {
        long account = Event.account(record);
        long amount = Event.amount(record);
        if (jdbc.update(SideEffect.CREDIT, amount, account) != 1) {
            return HandlerResult.rejected("no account " + account);
        }
        jdbc.update(SideEffect.APPEND, Event.id(record), account, amount);
        return HandlerResult.processed();
    }

    /** The same two statements for many records, each sent as one JDBC batch ({@code JdbcTemplate.batchUpdate}). */
    static void applyBatched(JdbcTemplate jdbc, List<ConsumerRecord<byte[], byte[]>> records) {
        jdbc.batchUpdate(SideEffect.CREDIT, records, records.size(), (credit, record) -> {
            credit.setLong(1, Event.amount(record));
            credit.setLong(2, Event.account(record));
        });
        jdbc.batchUpdate(SideEffect.APPEND, records, records.size(), (append, record) -> {
            append.setString(1, Event.id(record));
            append.setLong(2, Event.account(record));
            append.setLong(3, Event.amount(record));
        });
    }

    /** No dedup, one transaction per record: applies re-sends twice. */
    public static class UnsafeRecord {
        private final JdbcTemplate jdbc;

        public UnsafeRecord(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional
        @KafkaListener(id = "bench", groupId = "${bench.group}",
                topicPartitions = @TopicPartition(topic = "${bench.topic}", partitions = "${bench.partitions}"))
        public void on(ConsumerRecord<byte[], byte[]> record) {
            apply(jdbc, record);
        }
    }

    /** {@code @Deduplicated}: claim and effect in one transaction per record. */
    public static class DedupRecord {
        private final JdbcTemplate jdbc;

        public DedupRecord(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Deduplicated(header = Event.ID_HEADER)
        @KafkaListener(id = "bench", groupId = "${bench.group}",
                topicPartitions = @TopicPartition(topic = "${bench.topic}", partitions = "${bench.partitions}"))
        public HandlerResult on(ConsumerRecord<byte[], byte[]> record) {
            return apply(jdbc, record);
        }
    }

    /** No dedup, a batch listener: one transaction and two {@code batchUpdate}s per poll. */
    public static class UnsafeBatch {
        private final JdbcTemplate jdbc;

        public UnsafeBatch(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional
        @KafkaListener(id = "bench", groupId = "${bench.group}", batch = "true",
                topicPartitions = @TopicPartition(topic = "${bench.topic}", partitions = "${bench.partitions}"))
        public void on(List<ConsumerRecord<byte[], byte[]>> records) {
            applyBatched(jdbc, records);
        }
    }

    /** A {@code @Deduplicated} batch listener: the poll's new records in one call, two {@code batchUpdate}s. */
    public static class DedupBatch {
        private final JdbcTemplate jdbc;

        public DedupBatch(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Deduplicated(header = Event.ID_HEADER)
        @KafkaListener(id = "bench", groupId = "${bench.group}", batch = "true",
                topicPartitions = @TopicPartition(topic = "${bench.topic}", partitions = "${bench.partitions}"))
        public void on(List<ConsumerRecord<byte[], byte[]>> records) {
            applyBatched(jdbc, records);
        }
    }
}
