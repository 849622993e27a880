package io.dedupconsumer.benchmark;

import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.TransactionRunner;
import io.dedupconsumer.kafka.DedupShareConsumerRunner;
import io.dedupconsumer.testkit.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One run of a share-group scenario (KIP-932): {@value #CONSUMERS} share consumers of one share group on a topic that
 * has fewer partitions than that (records of one partition go to any of them), each record in a transaction of its
 * own, explicitly acknowledged ({@code ACCEPT}) after it, the acknowledgements committed after each poll. A share
 * group has no offsets to start from or stop at, so the run's prefix of the workload is first copied to a fresh topic
 * of the same partitions (not timed), and the run ends when the broker reports every record of every partition
 * acknowledged (its share-group lag zero): every record accepted. The clock starts when the first record is in a
 * consumer's hands (the group's join is not timed).
 */
final class ShareRun {

    /** Share consumers of the group, more than the measured topics' partitions. */
    static final int CONSUMERS = 3;
    /** Records a share consumer acquires per poll ({@code share.acquire.mode=record_limit}), so that all get some. */
    static final int MAX_POLL_RECORDS = 50;

    private static final Duration LOCK_DURATION = Duration.ofSeconds(30);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final long WATCH_INTERVAL_MS = 20;
    private static final Duration COPY_TIMEOUT = Duration.ofSeconds(60);

    private ShareRun() {
    }

    /**
     * Consumes the first {@code limitPerPartition} records of every partition of {@code workload} with the scenario's
     * share consumers.
     *
     * @throws IllegalStateException when a consumer fails or the run exceeds {@code timeout}
     */
    static ConsumerRun.Timing run(KafkaBroker broker, Workload workload, long limitPerPartition, String group,
            Scenario scenario, ScenarioDatabase db, Duration timeout) throws Exception {
        Map<TopicPartition, Long> ends = copyPrefix(broker, workload, limitPerPartition);
        String topic = ends.keySet().iterator().next().topic();
        broker.configureShareGroup(group, LOCK_DURATION);
        AtomicLong start = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<AutoCloseable> runners = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(CONSUMERS, runnable -> {
            Thread thread = new Thread(runnable, "bench-share-consumer");
            thread.setDaemon(true);
            return thread;
        });
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            List<Future<?>> consumers = new ArrayList<>();
            if (scenario == Scenario.SHARE_DEDUP_RECORD) {
                Deduplicator deduplicator = Benchmark.deduplicator(db, group);
                SideEffect sideEffect = new SideEffect();
                RecordHandler<byte[], byte[]> handler = (record, connection) -> {
                    start.compareAndSet(0, System.nanoTime());
                    return sideEffect.handle(record, connection);
                };
                for (int i = 0; i < CONSUMERS; i++) {
                    DedupShareConsumerRunner<byte[], byte[]> runner = DedupShareConsumerRunner
                            .builder(new ByteArrayDeserializer(), new ByteArrayDeserializer())
                            .consumerProperties(shareConsumerProperties(broker, group))
                            .topics(topic)
                            .deduplicator(deduplicator)
                            .handler(handler)
                            .pollTimeout(POLL_TIMEOUT)
                            .shutdownTimeout(Duration.ofSeconds(10))
                            .meterRegistry(new SimpleMeterRegistry())
                            .build();
                    runners.add(runner);
                    consumers.add(threads.submit(runner));
                }
            } else {
                TransactionRunner transactions = TransactionRunner.jdbc(db.dataSource());
                SideEffect sideEffect = new SideEffect();
                for (int i = 0; i < CONSUMERS; i++) {
                    consumers.add(threads.submit(() -> {
                        unsafeLoop(broker, group, topic, transactions, sideEffect, start, stop);
                        return null;
                    }));
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            long finished = awaitAccepted(admin, group, ends, consumers, start, deadline);
            long records = ends.values().stream().mapToLong(Long::longValue).sum();
            return new ConsumerRun.Timing(records, finished - start.get(), 0, new Latencies());
        } finally {
            stop.set(true);
            for (AutoCloseable runner : runners) {
                runner.close();
            }
            threads.shutdown(); // the loops see the stop within a poll timeout and close their consumers
            if (!threads.awaitTermination(30, TimeUnit.SECONDS)) {
                threads.shutdownNow();
            }
        }
    }

    private static Map<String, Object> shareConsumerProperties(KafkaBroker broker, String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        return props;
    }

    /** The same work without dedup: each record's side effect in its own transaction, then {@code ACCEPT}. */
    private static void unsafeLoop(KafkaBroker broker, String group, String topic, TransactionRunner transactions,
            SideEffect sideEffect, AtomicLong start, AtomicBoolean stop) throws Exception {
        Map<String, Object> props = shareConsumerProperties(broker, group);
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        try (KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (!stop.get()) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL_TIMEOUT);
                } catch (WakeupException e) {
                    continue;
                }
                if (records.isEmpty()) {
                    continue;
                }
                start.compareAndSet(0, System.nanoTime());
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    transactions.inTransaction(connection -> sideEffect.handle(record, connection));
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                }
                consumer.commitSync();
            }
        }
    }

    /**
     * Waits until every record of every partition was accepted, as the broker reports it; returns when it saw that
     * ({@link System#nanoTime()}).
     */
    private static long awaitAccepted(Admin admin, String group, Map<TopicPartition, Long> ends, List<Future<?>> consumers,
            AtomicLong start, long deadline) throws Exception {
        ListShareGroupOffsetsSpec spec = new ListShareGroupOffsetsSpec().topicPartitions(ends.keySet());
        Exception unanswered = null;
        while (true) {
            for (Future<?> consumer : consumers) {
                if (consumer.isDone()) {
                    try {
                        consumer.get();
                    } catch (ExecutionException e) {
                        throw new IllegalStateException("a share consumer failed: " + e.getCause(), e.getCause());
                    }
                    throw new IllegalStateException("a share consumer stopped before the run was accepted");
                }
            }
            Map<TopicPartition, SharePartitionOffsetInfo> offsets;
            try {
                offsets = admin.listShareGroupOffsets(Map.of(group, spec)).partitionsToOffsetInfo(group)
                        .get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                offsets = Map.of(); // the group does not exist before its first consumer joined
                unanswered = e;
            }
            long now = System.nanoTime();
            Map<TopicPartition, SharePartitionOffsetInfo> seen = offsets;
            if (start.get() != 0 && ends.entrySet().stream().allMatch(end -> end.getValue() == 0
                    || accepted(seen.get(end.getKey()), end.getValue()))) {
                return now;
            }
            if (now > deadline) {
                throw new IllegalStateException("the share group " + group + " did not accept its " + ends
                        + " records in time; start offsets " + seen, unanswered);
            }
            Thread.sleep(WATCH_INTERVAL_MS);
        }
    }

    /**
     * Whether every record of a partition ending at {@code end} was accepted: its lag (records not yet acknowledged,
     * KIP-1226) is zero, or where the broker does not report it, the start offset reached the end. The start offset
     * alone is not enough: the broker persists it lazily, and it stays behind the last acknowledged batch.
     */
    private static boolean accepted(SharePartitionOffsetInfo offsets, long end) {
        if (offsets == null) {
            return false;
        }
        return offsets.lag().map(lag -> lag == 0).orElse(offsets.startOffset() >= end);
    }

    /**
     * Copies the first {@code limitPerPartition} records of every partition of the workload to the same partition of a
     * fresh topic, so that a share group, which reads a topic to its end, reads exactly the run's prefix.
     *
     * @return the fresh topic's partitions and the offset after each one's last record
     */
    private static Map<TopicPartition, Long> copyPrefix(KafkaBroker broker, Workload workload, long limitPerPartition) {
        String topic = broker.uniqueTopic("bench-share", workload.partitionCount());
        Map<TopicPartition, Long> ends = new HashMap<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + COPY_TIMEOUT.toNanos();
        try (KafkaConsumer<byte[], byte[]> source = new KafkaConsumer<>(broker.consumerProps("copy-" + UUID.randomUUID()));
                KafkaProducer<byte[], byte[]> target = new KafkaProducer<>(broker.producerProps())) {
            for (int p = 0; p < workload.partitionCount(); p++) {
                long end = Math.min(limitPerPartition, workload.partitions().get(p).amounts().length);
                TopicPartition from = new TopicPartition(workload.topic(), p);
                source.assign(List.of(from));
                source.seek(from, 0);
                long copied = 0;
                while (copied < end) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("copying " + from + " stopped at " + copied + " of " + end);
                    }
                    for (ConsumerRecord<byte[], byte[]> record : source.poll(POLL_TIMEOUT).records(from)) {
                        if (record.offset() < end) {
                            target.send(new ProducerRecord<>(topic, p, record.key(), record.value(), record.headers()),
                                    (metadata, e) -> {
                                        if (e != null) {
                                            failure.compareAndSet(null, e);
                                        }
                                    });
                            copied++;
                        }
                    }
                }
                ends.put(new TopicPartition(topic, p), end);
            }
            target.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("copying the run's records to " + topic + " failed", failure.get());
        }
        return ends;
    }
}
