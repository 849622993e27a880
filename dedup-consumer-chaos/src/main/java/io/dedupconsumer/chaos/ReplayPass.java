package io.dedupconsumer.chaos;

import io.dedupconsumer.core.Outcome;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.TopicPartition;

/**
 * One pass of the inventory service over a topic: positions a consumer group at the given offsets, runs the service
 * in this JVM until the group has committed every record that was in the topic when the pass began, and reports its
 * progress and the outcomes it counted.
 */
final class ReplayPass {

    private static final Duration POLL = Duration.ofMillis(250);

    /**
     * What a pass did.
     *
     * @param records records it had to get through
     * @param done records it committed in time
     * @param seconds how long it took
     * @param outcomes the outcomes the service counted
     * @param end the end offsets it consumed up to
     */
    record Result(long records, long done, double seconds, Map<Outcome, Long> outcomes, Map<TopicPartition, Long> end) {

        boolean complete() {
            return done >= records;
        }

        /** Events this pass applied or refused itself: none, when it replays what was already consumed. */
        long decided() {
            return outcomes.get(Outcome.PROCESSED) + outcomes.get(Outcome.REJECTED);
        }
    }

    private ReplayPass() {
    }

    /**
     * Runs a pass.
     *
     * @param kafka the cluster
     * @param topic the stock events topic
     * @param group the consumer group to consume as; its committed offsets are set to {@code from} first, so it must
     *     have no active member
     * @param from where to start, per partition
     * @param consumerName the dedup consumer name
     * @param partitions partitions, should the service have to create the topic
     * @param concurrency listener threads
     * @param appArgs Kafka, database and logging arguments for the service
     * @param timeout how long the pass may take
     * @param every how often to print a progress line
     * @param label the name of the pass in progress lines
     * @param out where progress goes
     */
    static Result run(KafkaTopics kafka, String topic, String group, Map<TopicPartition, Long> from, String consumerName,
            int partitions, int concurrency, List<String> appArgs, Duration timeout, Duration every, String label,
            PrintStream out) {
        kafka.setOffsets(group, from);
        Map<TopicPartition, Long> end = kafka.endOffsets(topic);
        long total = KafkaTopics.distance(from, end);
        long start = System.nanoTime();
        try (InventoryConsumer consumer = InventoryConsumer.start(topic, group, consumerName, partitions, concurrency,
                appArgs)) {
            long deadline = start + timeout.toNanos();
            long nextReport = start + every.toNanos();
            Map<TopicPartition, Long> committed = kafka.committed(group, topic);
            while (!KafkaTopics.caughtUp(committed, end) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(POLL.toNanos());
                committed = kafka.committed(group, topic);
                long now = System.nanoTime();
                if (now >= nextReport) {
                    long done = KafkaTopics.distance(from, committed);
                    out.printf("      %s: %,d/%,d records (%d%%), %,.0f records/s%n", label, done, total,
                            total == 0 ? 100 : 100 * done / total, done / ((now - start) / 1e9));
                    nextReport = now + every.toNanos();
                }
            }
            long done = Math.min(total, KafkaTopics.distance(from, capped(committed, end)));
            return new Result(total, done, (System.nanoTime() - start) / 1e9, consumer.outcomes(consumerName), end);
        }
    }

    private static Map<TopicPartition, Long> capped(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> capped = new java.util.HashMap<>();
        committed.forEach((partition, offset) -> capped.put(partition, Math.min(offset, end.getOrDefault(partition, offset))));
        return capped;
    }
}
