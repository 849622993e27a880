package io.dedupconsumer.benchmark;

import io.dedupconsumer.testkit.KafkaBroker;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The measured loop, as plain as a consumer gets: one thread and one {@link KafkaConsumer} per partition, each
 * {@code poll → process → commitSync} until it has read its share of the topic. Consumers are assigned their
 * partition (no group rebalance to wait for) and commit to a fresh group. The clock starts when every consumer is
 * connected, positioned and has found its group coordinator, and stops when the last one has committed its last
 * offset.
 */
final class ConsumerRun {

    /** Kafka's default, stated so the batch size of the per-poll scenarios is explicit. */
    static final int MAX_POLL_RECORDS = 500;

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(60);

    private ConsumerRun() {
    }

    /** What a consumer does with each poll's records; throwing fails the run. */
    @FunctionalInterface
    interface PollProcessor {
        void process(List<ConsumerRecord<byte[], byte[]>> records) throws Exception;
    }

    /**
     * The outcome of a timed run.
     *
     * @param records records processed and committed
     * @param elapsedNanos from the common start to the last consumer's last commit
     * @param cpuNanos CPU time the consumer threads used in their loops (Kafka client, processing, JDBC driver),
     *     which unlike wall time does not include waiting for the database
     */
    record Timing(long records, long elapsedNanos, long cpuNanos, Latencies latencies) {
    }

    private record PartitionTiming(long records, long finishedNanos, long cpuNanos, Latencies latencies) {
    }

    /**
     * Consumes the first {@code limitPerPartition} records of every partition of {@code workload}.
     *
     * @param processors makes each consumer thread's processor
     * @throws IllegalStateException when a consumer fails or the run exceeds {@code timeout}
     */
    static Timing run(KafkaBroker broker, Workload workload, long limitPerPartition, String group,
            Supplier<PollProcessor> processors, Duration timeout) throws InterruptedException {
        int partitions = workload.partitionCount();
        CountDownLatch ready = new CountDownLatch(partitions);
        CountDownLatch go = new CountDownLatch(1);
        long deadline = System.nanoTime() + SETUP_TIMEOUT.toNanos() + timeout.toNanos();
        ExecutorService threads = Executors.newFixedThreadPool(partitions, runnable -> {
            Thread thread = new Thread(runnable, "bench-consumer");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<PartitionTiming>> consumers = new ArrayList<>(partitions);
            for (int p = 0; p < partitions; p++) {
                TopicPartition partition = new TopicPartition(workload.topic(), p);
                long end = Math.min(limitPerPartition, workload.partitions().get(p).amounts().length);
                PollProcessor processor = processors.get();
                consumers.add(threads.submit(() -> consume(broker, group, partition, end, processor, ready, go, deadline)));
            }
            if (!ready.await(SETUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                go.countDown();
                collect(consumers, deadline);
                throw new IllegalStateException("the consumers were not ready within " + SETUP_TIMEOUT);
            }
            long start = System.nanoTime();
            go.countDown();
            List<PartitionTiming> timings = collect(consumers, deadline);
            long records = 0;
            long cpu = 0;
            long finished = start;
            List<Latencies> latencies = new ArrayList<>(partitions);
            for (PartitionTiming timing : timings) {
                records += timing.records();
                cpu += timing.cpuNanos();
                finished = Math.max(finished, timing.finishedNanos());
                latencies.add(timing.latencies());
            }
            return new Timing(records, finished - start, cpu, Latencies.merge(latencies));
        } finally {
            threads.shutdownNow();
        }
    }

    private static List<PartitionTiming> collect(List<Future<PartitionTiming>> consumers, long deadline)
            throws InterruptedException {
        List<PartitionTiming> timings = new ArrayList<>(consumers.size());
        for (Future<PartitionTiming> consumer : consumers) {
            try {
                timings.add(consumer.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (ExecutionException e) {
                throw new IllegalStateException("a consumer failed: " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException("the run did not finish in time", e);
            }
        }
        return timings;
    }

    private static PartitionTiming consume(KafkaBroker broker, String group, TopicPartition partition, long end,
            PollProcessor processor, CountDownLatch ready, CountDownLatch go, long deadline) throws Exception {
        Map<String, Object> props = broker.consumerProps(group);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        Latencies latencies = new Latencies();
        long records = 0;
        long finished;
        long cpu;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            try {
                consumer.assign(List.of(partition));
                consumer.seek(partition, 0);
                consumer.committed(Set.of(partition));
            } finally {
                ready.countDown();
            }
            go.await();
            long cpuStart = threads.getCurrentThreadCpuTime();
            long position = 0;
            while (position < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(partition + " stopped at offset " + position + " of " + end);
                }
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(POLL_TIMEOUT);
                if (polled.isEmpty()) {
                    continue;
                }
                long polledAt = System.nanoTime();
                List<ConsumerRecord<byte[], byte[]>> batch = polled.records(partition);
                int keep = batch.size();
                while (keep > 0 && batch.get(keep - 1).offset() >= end) {
                    keep--;
                }
                batch = batch.subList(0, keep);
                processor.process(batch);
                position = batch.get(keep - 1).offset() + 1;
                consumer.commitSync(Map.of(partition, new OffsetAndMetadata(position)));
                latencies.add(System.nanoTime() - polledAt, keep);
                records += keep;
            }
            finished = System.nanoTime();
            cpu = threads.getCurrentThreadCpuTime() - cpuStart;
        }
        return new PartitionTiming(records, finished, cpu, latencies);
    }
}
