package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.Test;

/** Staged offsets reach the group, through wake-ups and rebalances, and never for a lost partition. No broker. */
class OffsetCommitterTests {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private final FlakyConsumer consumer = new FlakyConsumer();
    private final List<Map<TopicPartition, OffsetAndMetadata>> reported = new ArrayList<>();
    private final OffsetCommitter committer = new OffsetCommitter(consumer, new RunnerListener() {
        @Override
        public void afterOffsetCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            reported.add(offsets);
        }
    }, new RunnerMetrics(new SimpleMeterRegistry(), "orders", "orders-1", () -> 0), "orders");

    OffsetCommitterTests() {
        consumer.assign(List.of(P0, P1));
    }

    @Test
    void stagedOffsetsAreCommittedOnceAndReported() {
        committer.stage(P0, new OffsetAndMetadata(5));
        committer.stage(P0, new OffsetAndMetadata(7));
        committer.stage(P1, new OffsetAndMetadata(3));

        committer.commit();
        committer.commit();

        assertThat(consumer.committed(Set.of(P0, P1))).isEqualTo(Map.of(P0, new OffsetAndMetadata(7),
                P1, new OffsetAndMetadata(3)));
        assertThat(reported).containsExactly(Map.of(P0, new OffsetAndMetadata(7), P1, new OffsetAndMetadata(3)));
    }

    @Test
    void theWakeUpOfACloseDoesNotLoseTheCommit() {
        committer.stage(P0, new OffsetAndMetadata(5));
        consumer.wakeUps.set(2);

        committer.commit();

        assertThat(consumer.committed(Set.of(P0))).isEqualTo(Map.of(P0, new OffsetAndMetadata(5)));
    }

    @Test
    void wakeUpsBeyondTheRetriesFailTheCommitAndKeepTheOffsetStaged() {
        committer.stage(P0, new OffsetAndMetadata(5));
        consumer.wakeUps.set(3);

        assertThatThrownBy(committer::commit).isInstanceOf(WakeupException.class);
        committer.commit();

        assertThat(consumer.committed(Set.of(P0))).isEqualTo(Map.of(P0, new OffsetAndMetadata(5)));
    }

    @Test
    void aRebalanceInProgressDefersTheCommitToTheNextOne() {
        committer.stage(P0, new OffsetAndMetadata(5));
        consumer.rebalancing = true;

        committer.commit();
        assertThat(consumer.committed(Set.of(P0))).isEmpty();

        consumer.rebalancing = false;
        committer.commit();
        assertThat(consumer.committed(Set.of(P0))).isEqualTo(Map.of(P0, new OffsetAndMetadata(5)));
    }

    @Test
    void revokedPartitionsCommitTheirStagedOffsetsAtOnceAndOnlyTheirs() {
        committer.stage(P0, new OffsetAndMetadata(5));
        committer.stage(P1, new OffsetAndMetadata(3));

        committer.revoked(List.of(P0));

        assertThat(consumer.committed(Set.of(P0, P1))).isEqualTo(Map.of(P0, new OffsetAndMetadata(5)));
        committer.commit();
        assertThat(reported).containsExactly(Map.of(P0, new OffsetAndMetadata(5)), Map.of(P1, new OffsetAndMetadata(3)));
    }

    @Test
    void lostPartitionsNeverCommitTheirStagedOffsets() {
        committer.stage(P0, new OffsetAndMetadata(5));
        committer.stage(P1, new OffsetAndMetadata(3));

        committer.lost(List.of(P0));
        committer.revoked(List.of(P0));
        committer.commit();

        assertThat(consumer.committed(Set.of(P0, P1))).isEqualTo(Map.of(P1, new OffsetAndMetadata(3)));
    }

    /** A consumer whose next commits are woken up, or refused while a rebalance is in progress. */
    private static final class FlakyConsumer extends MockConsumer<byte[], byte[]> {
        final AtomicInteger wakeUps = new AtomicInteger();
        volatile boolean rebalancing;

        FlakyConsumer() {
            super(OffsetResetStrategy.EARLIEST);
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            if (wakeUps.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new WakeupException();
            }
            if (rebalancing) {
                throw new RebalanceInProgressException("rebalancing");
            }
            super.commitSync(offsets);
        }
    }
}
