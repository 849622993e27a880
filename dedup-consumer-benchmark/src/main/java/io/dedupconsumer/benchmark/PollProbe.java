package io.dedupconsumer.benchmark;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Measures a Spring scenario from inside its container's {@code KafkaConsumer}, where {@link ConsumerRun} measures its
 * own loop: {@code onConsume} (when {@code poll()} returns) cuts each partition's records at the run's end offset, so
 * the container reads the same prefix as every other scenario, and notes the poll time; {@code onCommit} (when a
 * {@code commitSync} returned) gives each committed record its poll-to-commit latency and, at a partition's end
 * offset, its finishing time and its thread's CPU time. Kafka instantiates it by class name (so it is public) and
 * hands it its {@link Run} through the consumer configuration under {@value #RUN}.
 */
public final class PollProbe implements ConsumerInterceptor<byte[], byte[]> {

    /** The consumer configuration key that carries the {@link Run}. */
    static final String RUN = "dedup.benchmark.run";

    private Run run;

    @Override
    public void configure(Map<String, ?> configs) {
        run = (Run) configs.get(RUN);
    }

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
        return records.isEmpty() ? records : run.polled(records);
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        run.committed(offsets);
    }

    @Override
    public void close() {
    }

    /** What one Spring run measured, filled by the probes of its consumers (one thread per partition). */
    static final class Run {

        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        private final Map<TopicPartition, Partition> partitions = new HashMap<>();
        private final CountDownLatch finished;
        private final AtomicLong start = new AtomicLong();

        /** @param ends each partition's end offset (exclusive): the records it must read */
        Run(Map<TopicPartition, Long> ends) {
            ends.forEach((partition, end) -> partitions.put(partition, new Partition(end)));
            finished = new CountDownLatch(ends.size());
        }

        CountDownLatch finished() {
            return finished;
        }

        /** The run's outcome, once {@link #finished()} reached zero. */
        ConsumerRun.Timing timing() {
            long records = 0;
            long cpu = 0;
            long last = start.get();
            List<Latencies> latencies = new ArrayList<>();
            for (Partition partition : partitions.values()) {
                records += partition.records;
                cpu += partition.cpuNanos;
                last = Math.max(last, partition.finishedNanos);
                latencies.add(partition.latencies);
            }
            return new ConsumerRun.Timing(records, last - start.get(), cpu, Latencies.merge(latencies));
        }

        private ConsumerRecords<byte[], byte[]> polled(ConsumerRecords<byte[], byte[]> records) {
            long now = System.nanoTime();
            start.compareAndSet(0, now);
            Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> kept = new HashMap<>();
            Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
            boolean cut = false;
            for (TopicPartition topicPartition : records.partitions()) {
                Partition partition = partitions.get(topicPartition);
                List<ConsumerRecord<byte[], byte[]>> batch = records.records(topicPartition);
                int keep = batch.size();
                while (keep > 0 && batch.get(keep - 1).offset() >= partition.end) {
                    keep--;
                }
                cut |= keep < batch.size();
                if (keep > 0) {
                    partition.polled(now, batch.get(keep - 1).offset() + 1, keep);
                    kept.put(topicPartition, batch.subList(0, keep));
                    next.put(topicPartition, new OffsetAndMetadata(batch.get(keep - 1).offset() + 1));
                }
            }
            return cut ? new ConsumerRecords<>(kept, next) : records;
        }

        private void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
            long now = System.nanoTime();
            offsets.forEach((topicPartition, offset) -> {
                Partition partition = partitions.get(topicPartition);
                if (partition != null && partition.committed(now, offset.offset())) {
                    finished.countDown();
                }
            });
        }
    }

    /** One partition's progress; only its consumer's thread touches it until the run finished. */
    private static final class Partition {

        private final long end;
        private final ArrayDeque<long[]> polls = new ArrayDeque<>(); // {poll time, next offset, records}
        private final Latencies latencies = new Latencies();
        private long records;
        private long cpuStart = -1;
        private long cpuNanos;
        private long finishedNanos;
        private boolean done;

        Partition(long end) {
            this.end = end;
        }

        void polled(long now, long nextOffset, int count) {
            if (cpuStart < 0) {
                cpuStart = Run.THREADS.getCurrentThreadCpuTime();
            }
            polls.add(new long[] {now, nextOffset, count});
        }

        /** @return whether this commit reached the end offset */
        boolean committed(long now, long offset) {
            while (!polls.isEmpty() && polls.peek()[1] <= offset) {
                long[] poll = polls.poll();
                latencies.add(now - poll[0], (int) poll[2]);
                records += poll[2];
            }
            if (done || offset < end) {
                return false;
            }
            done = true;
            finishedNanos = now;
            cpuNanos = Run.THREADS.getCurrentThreadCpuTime() - cpuStart;
            return true;
        }
    }
}
