package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.examples.inventory.oracle.GroupOffsets;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The run's topics: creates them (and waits until every partition has a leader, so that the first records sent do not
 * race the partitions' creation), and reads how far a consumer group got from the offsets it committed, the signal
 * that records are done for good: the service commits an offset only after the record's database transaction did.
 */
final class Topics {

    private static final long ADMIN_TIMEOUT_SECONDS = 30;
    private static final long REACH_TIMEOUT_SECONDS = 15;
    private static final long POLL_MILLIS = 50;

    private final Admin admin;

    Topics(Admin admin) {
        this.admin = admin;
    }

    /**
     * Fails fast, with the address in the message, when no broker answers.
     *
     * @throws IllegalStateException when the cluster does not answer within {@value #REACH_TIMEOUT_SECONDS} s
     */
    void requireReachable(String bootstrapServers) {
        try {
            admin.describeCluster().nodes().get(REACH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reaching Kafka at " + bootstrapServers, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("no Kafka broker answers at " + bootstrapServers + " within "
                    + REACH_TIMEOUT_SECONDS + " s");
        }
    }

    /**
     * Creates the topics (a topic that exists is left as it is) and waits until each partition has a leader.
     *
     * @throws IllegalStateException when they cannot be created or get no leaders in time
     */
    void create(List<String> names, int partitions) {
        List<NewTopic> topics = names.stream().map(name -> new NewTopic(name, Optional.of(partitions), Optional.empty()))
                .toList();
        try {
            for (Map.Entry<String, KafkaFuture<Void>> created : admin.createTopics(topics).values().entrySet()) {
                try {
                    created.getValue().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + created.getKey() + ": " + e.getCause(), e);
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_SECONDS);
            while (!haveLeaders(names)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics " + names + " have no leader for every partition after "
                            + ADMIN_TIMEOUT_SECONDS + " s");
                }
                pause();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + names, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating " + names, e);
        }
    }

    private boolean haveLeaders(List<String> names) throws InterruptedException, TimeoutException {
        try {
            return admin.describeTopics(names).allTopicNames().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).values()
                    .stream().flatMap(description -> description.partitions().stream())
                    .allMatch(partition -> partition.leader() != null && !partition.leader().isEmpty());
        } catch (ExecutionException e) {
            return false; // not known everywhere yet
        }
    }

    /** The sum of the latest offsets of every partition of {@code topic}: how many records it holds. */
    long endOffsets(String topic) {
        try {
            List<TopicPartitionInfo> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(
                    p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).values().stream()
                    .mapToLong(ListOffsetsResultInfo::offset).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the offsets of " + topic + ": " + e, e);
        }
    }

    /** The sum of the offsets {@code group} committed on {@code topic}: how many of its records the group finished. */
    long committed(String group, String topic) {
        return GroupOffsets.total(GroupOffsets.committed(admin, group, topic, Duration.ofSeconds(ADMIN_TIMEOUT_SECONDS)));
    }

    /**
     * Waits until every partition of {@code topic} is assigned and {@code consumers} members of {@code group} (or as
     * many as there are partitions) each hold some, so that a pass is timed from when all its listener threads
     * consume, not from a rebalance halfway. (The members' assignments, not the group's state: the state's type is not
     * the same in Kafka 3.9 and 4.)
     *
     * @throws IllegalStateException when the group is not assigned so within {@code timeout}
     */
    void awaitAssigned(String group, String topic, int partitions, int consumers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups()
                        .get(group).get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                long assigned = description.members().stream()
                        .flatMap(member -> member.assignment().topicPartitions().stream())
                        .filter(partition -> partition.topic().equals(topic)).distinct().count();
                long holding = description.members().stream()
                        .filter(member -> !member.assignment().topicPartitions().isEmpty()).count();
                if (assigned == partitions && holding == Math.min(consumers, partitions)) {
                    return;
                }
            } catch (ExecutionException e) {
                // not known yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for group " + group, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("timed out describing group " + group, e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("group " + group + " did not get all " + partitions + " partitions of "
                        + topic + " within " + timeout.toSeconds() + " s");
            }
            pause();
        }
    }

    /**
     * Waits until {@code group} committed {@code total} records of {@code topic}, printing a progress line every
     * {@code every}: records done, and records/s over the last interval and since {@code start}.
     *
     * @param start when the pass started ({@link System#nanoTime()}), before the group committed anything
     * @return how far the group got and when: {@code total}, or fewer when {@code timeout} passed first
     */
    Progress await(String label, String group, String topic, long total, long start, Duration timeout, Duration every,
            PrintStream out) {
        long deadline = start + timeout.toNanos();
        long done = committed(group, topic);
        long lastChange = System.nanoTime();
        long intervalStart = start;
        long doneAtInterval = 0;
        while (done < total && System.nanoTime() < deadline) {
            pause();
            long now = System.nanoTime();
            long read = committed(group, topic);
            if (read != done) {
                done = read;
                lastChange = now;
            }
            if (now - intervalStart >= every.toNanos() && done < total) {
                out.printf("      %s: %d/%d records (%d%%), %.0f records/s in the last %.1f s, %.0f since the start%n",
                        label, done, total, 100 * done / total, (done - doneAtInterval) / seconds(now - intervalStart),
                        seconds(now - intervalStart), done / seconds(now - start));
                intervalStart = now;
                doneAtInterval = done;
            }
        }
        return new Progress(done, seconds(lastChange - start));
    }

    /**
     * How far a pass got.
     *
     * @param done records committed at the end
     * @param seconds from the start to the last commit seen (read every {@value #POLL_MILLIS} ms)
     */
    record Progress(long done, double seconds) {

        /** {@code 2524 in 2.31 s = 1093 records/s}. */
        String describe() {
            return String.format("%d in %.2f s = %.0f records/s", done, seconds, seconds > 0 ? done / seconds : 0);
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the consumer group", e);
        }
    }
}
