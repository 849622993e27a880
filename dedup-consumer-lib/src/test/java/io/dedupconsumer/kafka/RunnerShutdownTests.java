package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Starting and stopping: {@code close()} from another thread while a handler is running lets the in-flight record (or
 * batch) finish and commit before the runner stops; a runner runs once, and closes any number of times; a runner whose
 * dedup window is too short never starts.
 */
class RunnerShutdownTests {

    @Test
    void runnerRefusesToStartWhenTheDedupWindowIsShorterThanTheTopicsRetention() {
        try (RunnerFixture fixture = RunnerFixture.create("retention", TestDatabase.h2(), 1);
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        fixture.broker.bootstrapServers()))) {
            fixture.send(0, "event-1", "v");
            RetentionGuard guard = RetentionGuard.builder().admin(admin).window(Duration.ofHours(1)).build();

            CompletableFuture<Void> run = fixture.start(fixture.runner(ProcessingMode.RECORD).retentionGuard(guard).build());

            assertThat(run).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(ExecutionException.class)
                    .havingCause().isInstanceOf(IllegalStateException.class).withMessageContaining(fixture.topic);
            assertThat(fixture.effects()).isZero();
            assertThat(fixture.brokerCommitted()).isEmpty();
        }
    }

    @Test
    void runnerRunsOnceAndClosesIdempotently() throws Exception {
        try (RunnerFixture fixture = RunnerFixture.create("run-once", TestDatabase.h2(), 1)) {
            fixture.send(0, "event-1", "v");
            DedupConsumerRunner<String, String> runner = fixture.runner(ProcessingMode.RECORD).build();
            CompletableFuture<Void> run = fixture.start(runner);
            fixture.awaitAllCommitted();

            assertThatThrownBy(runner::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("build a new runner");
            fixture.send(0, "event-2", "v");
            fixture.awaitAllCommitted(); // the refused second run() left the first one running

            runner.close();
            assertThat(run).succeedsWithin(Duration.ofSeconds(10)); // run() returned normally
            runner.close();
            assertThatThrownBy(runner::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("build a new runner");
            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("event-1", 1, "event-2", 1));
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 2L));
        }
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void closeFromAnotherThreadFinishesTheInFlightWorkCommitsItAndStops(ProcessingMode mode) throws Exception {
        try (RunnerFixture fixture = RunnerFixture.create("shutdown", TestDatabase.postgresql(), 1)) {
            CountDownLatch inHandler = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            RecordHandler<String, String> handler = (record, connection) -> {
                if (record.key().equals("slow")) {
                    inHandler.countDown();
                    assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                }
                RunnerFixture.insertEffect(connection, record);
                return HandlerResult.processed();
            };
            fixture.send(0, "slow", "v");
            for (int i = 1; i < 5; i++) {
                fixture.send(0, "next-" + i, "v");
            }
            DedupConsumerRunner<String, String> runner = fixture.runner(mode).handler(handler).build();
            CompletableFuture<Void> run = fixture.start(runner);
            assertThat(inHandler.await(30, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closing = CompletableFuture.runAsync(runner::close);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !closing.isDone());
            release.countDown();
            closing.get(30, TimeUnit.SECONDS);

            assertThat(run).succeedsWithin(Duration.ofSeconds(10)); // run() returned normally
            long applied = fixture.effects();
            if (mode == ProcessingMode.RECORD) {
                assertThat(applied).as("only the in-flight record").isEqualTo(1);
            } else {
                assertThat(applied).as("the in-flight batch").isBetween(1L, 5L);
            }
            assertThat(fixture.effectsByKey()).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), applied));
        }
    }
}
