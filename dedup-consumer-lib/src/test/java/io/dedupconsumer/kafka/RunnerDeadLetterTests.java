package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RunnerFixture.intHeader;
import static io.dedupconsumer.kafka.RunnerFixture.longHeader;
import static io.dedupconsumer.kafka.RunnerFixture.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Records the runner gives up on reach the dead-letter topic with their original bytes and headers plus the reason,
 * only then is their offset committed, and the records after them are processed.
 */
class RunnerDeadLetterTests {

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, (byte) 0x28};

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void sameKeyWithAnotherPayloadIsAConflictInTheOutcomeAndInTheDeadLetterTopic(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("conflict", TestDatabase.postgresql(), 1)) {
            fixture.send(0, "order-1", "amount=10", new RecordHeader("trace", bytes("first")));
            fixture.send(0, "order-1", "amount=99", new RecordHeader("trace", bytes("second")));
            fixture.send(0, "order-2", "amount=20");
            fixture.start(fixture.runner(mode).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("order-1", 1, "order-2", 1));
            assertThat(fixture.count("SELECT COUNT(*) FROM effect WHERE dedup_key = 'order-1' AND payload = 'amount=10'"))
                    .isEqualTo(1);
            assertThat(fixture.seen).filteredOn(s -> s.outcome() == Outcome.CONFLICT)
                    .containsExactly(new RunnerFixture.Seen("order-1", 0, 1, Outcome.CONFLICT));
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).hasSize(1);
            ConsumerRecord<byte[], byte[]> conflict = deadLetters.get(0);
            assertThat(conflict.key()).isEqualTo(bytes("order-1"));
            assertThat(conflict.value()).isEqualTo(bytes("amount=99"));
            assertThat(text(conflict, "trace")).isEqualTo("second");
            assertThat(text(conflict, DeadLetterHeaders.OUTCOME)).isEqualTo("CONFLICT");
            assertThat(text(conflict, DeadLetterHeaders.REASON)).contains("different payload").contains("@0");
            assertThat(text(conflict, DeadLetterHeaders.DEDUP_KEY)).isEqualTo("order-1");
            assertThat(text(conflict, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo(fixture.topic);
            assertThat(intHeader(conflict, DeadLetterHeaders.ORIGINAL_PARTITION)).isZero();
            assertThat(longHeader(conflict, DeadLetterHeaders.ORIGINAL_OFFSET)).isEqualTo(1);
            assertThat(text(conflict, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP)).isEqualTo(fixture.group);
            assertThat(conflict.headers().lastHeader(DeadLetterHeaders.EXCEPTION_FQCN)).isNull();
            assertThat(fixture.counter("dedup.dead.letters", "reason", "CONFLICT")).isEqualTo(1);
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 3L));
        }
    }

    @Test
    void conflictUnderFailPolicyStopsTheRunnerWithoutCommittingTheConflictingRecord() throws Exception {
        try (RunnerFixture fixture = RunnerFixture.create("conflict-fail", TestDatabase.mariadb(), 1)) {
            fixture.send(0, "order-1", "amount=10");
            fixture.send(0, "order-1", "amount=99");
            fixture.send(0, "order-3", "amount=30");
            CompletableFuture<Void> run = fixture.start(fixture.runner(ProcessingMode.RECORD)
                    .conflictPolicy(ConflictPolicy.FAIL).build());

            assertThat(run).failsWithin(RunnerFixture.WAIT.toSeconds(), TimeUnit.SECONDS)
                    .withThrowableOfType(ExecutionException.class).havingCause()
                    .isInstanceOf(IllegalStateException.class).withMessageContaining("CONFLICT").withMessageContaining("FAIL");
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 1L));
            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("order-1", 1));
            assertThat(fixture.outcomes(Outcome.CONFLICT)).isEqualTo(1);
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void poisonRecordsAreDeadLetteredWithTheirOriginalBytesAndTheRecordsAfterThemAreProcessed(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("poison", TestDatabase.mariadb(), 1)) {
            String oversizedKey = "k".repeat(300);
            fixture.send(0, "ok-1", "v1");
            fixture.send(0, bytes("bad-value"), NOT_UTF8, new RecordHeader("trace", bytes("t-1")));
            fixture.send(0, "ok-2", "v2");
            fixture.send(0, null, "no key");
            fixture.send(0, oversizedKey, "long key");
            fixture.send(0, NOT_UTF8, bytes("bad key"));
            fixture.send(0, "ok-3", "v3");
            fixture.start(fixture.runner(mode).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("ok-1", 1, "ok-2", 1, "ok-3", 1));
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(4);
            assertThat(deadLetters).extracting(r -> longHeader(r, DeadLetterHeaders.ORIGINAL_OFFSET))
                    .containsExactly(1L, 3L, 4L, 5L);
            assertThat(deadLetters).allSatisfy(r -> {
                assertThat(text(r, DeadLetterHeaders.OUTCOME)).isEqualTo("INVALID");
                assertThat(text(r, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo(fixture.topic);
                assertThat(intHeader(r, DeadLetterHeaders.ORIGINAL_PARTITION)).isZero();
                assertThat(r.partition()).isZero();
            });

            ConsumerRecord<byte[], byte[]> badValue = deadLetters.get(0);
            assertThat(badValue.key()).isEqualTo(bytes("bad-value"));
            assertThat(badValue.value()).isEqualTo(NOT_UTF8);
            assertThat(text(badValue, "trace")).isEqualTo("t-1");
            assertThat(text(badValue, DeadLetterHeaders.EXCEPTION_FQCN)).isEqualTo(SerializationException.class.getName());
            assertThat(text(badValue, DeadLetterHeaders.EXCEPTION_MESSAGE)).contains("not UTF-8");
            assertThat(text(badValue, DeadLetterHeaders.EXCEPTION_STACKTRACE)).contains("StrictUtf8.deserialize");
            assertThat(text(badValue, DeadLetterHeaders.REASON)).contains("value cannot be deserialized");

            ConsumerRecord<byte[], byte[]> missingKey = deadLetters.get(1);
            assertThat(missingKey.key()).isNull();
            assertThat(missingKey.value()).isEqualTo(bytes("no key"));
            assertThat(text(missingKey, DeadLetterHeaders.REASON)).contains("no dedup key");
            assertThat(missingKey.headers().lastHeader(DeadLetterHeaders.EXCEPTION_FQCN)).isNull();

            ConsumerRecord<byte[], byte[]> longKey = deadLetters.get(2);
            assertThat(longKey.key()).isEqualTo(bytes(oversizedKey));
            assertThat(longKey.value()).isEqualTo(bytes("long key"));
            assertThat(text(longKey, DeadLetterHeaders.REASON)).contains("300 characters");

            ConsumerRecord<byte[], byte[]> badKey = deadLetters.get(3);
            assertThat(badKey.key()).isEqualTo(NOT_UTF8);
            assertThat(badKey.value()).isEqualTo(bytes("bad key"));
            assertThat(text(badKey, DeadLetterHeaders.KEY_EXCEPTION_FQCN)).isEqualTo(SerializationException.class.getName());
            assertThat(badKey.headers().lastHeader(DeadLetterHeaders.EXCEPTION_FQCN)).isNull();
            assertThat(text(badKey, DeadLetterHeaders.REASON)).contains("key cannot be deserialized");

            assertThat(fixture.counter("dedup.dead.letters", "reason", "INVALID")).isEqualTo(4);
            assertThat(fixture.outcomes(Outcome.INVALID)).isEqualTo(2); // the other two never reached the deduplicator
            // ... and are counted as INVALID outcomes all the same, as the Spring integration counts them
            assertThat(fixture.counter("dedup.records", "outcome", "INVALID")).isEqualTo(4);
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 7L));
        }
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void handlerThatAlwaysFailsIsDeadLetteredAfterMaxAttemptsAndItsPartitionGoesOn(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("always-fails", TestDatabase.postgresql(), 1)) {
            AtomicInteger calls = new AtomicInteger();
            RecordHandler<String, String> handler = (record, connection) -> {
                if (record.key().equals("doomed")) {
                    calls.incrementAndGet();
                    RunnerFixture.insertEffect(connection, record); // rolled back with the failure
                    throw new IllegalStateException("downstream refuses " + record.key());
                }
                RunnerFixture.insertEffect(connection, record);
                return HandlerResult.processed();
            };
            fixture.send(0, "doomed", "v0");
            fixture.send(0, "after-1", "v1");
            fixture.send(0, "after-2", "v2");
            fixture.start(fixture.runner(mode).handler(handler).maxAttempts(3).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("after-1", 1, "after-2", 1));
            assertThat(fixture.count("SELECT COUNT(*) FROM dedup_record WHERE dedup_key = 'doomed'")).isZero();
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).hasSize(1);
            ConsumerRecord<byte[], byte[]> doomed = deadLetters.get(0);
            assertThat(doomed.key()).isEqualTo(bytes("doomed"));
            assertThat(doomed.value()).isEqualTo(bytes("v0"));
            assertThat(text(doomed, DeadLetterHeaders.OUTCOME)).isEqualTo("FAILED");
            assertThat(text(doomed, DeadLetterHeaders.REASON)).contains("3 times");
            assertThat(text(doomed, DeadLetterHeaders.EXCEPTION_FQCN)).isEqualTo(IllegalStateException.class.getName());
            assertThat(text(doomed, DeadLetterHeaders.EXCEPTION_MESSAGE)).isEqualTo("downstream refuses doomed");
            assertThat(text(doomed, DeadLetterHeaders.EXCEPTION_STACKTRACE)).contains("IllegalStateException");
            assertThat(longHeader(doomed, DeadLetterHeaders.ORIGINAL_OFFSET)).isZero();
            assertThat(fixture.counter("dedup.retries", "kind", "record")).isEqualTo(2);
            assertThat(fixture.counter("dedup.dead.letters", "reason", "FAILED")).isEqualTo(1);
            if (mode == ProcessingMode.RECORD) {
                assertThat(calls).hasValue(3);
            } else {
                assertThat(calls.get()).isGreaterThanOrEqualTo(3); // a batch redoes the failing record on its own
            }
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 3L));
        }
    }

    @Test
    void deadLetterSendFailureCommitsNothingAndIsRetriedUntilTheDeadLetterTopicTakesIt() {
        try (RunnerFixture fixture = RunnerFixture.create("dlt-down", TestDatabase.mariadb(), 1)) {
            AtomicBoolean deadLetterTopicBroken = new AtomicBoolean(true);
            fixture.send(0, null, "no key, so dead-lettered");
            fixture.send(0, "ok-1", "v1");
            fixture.start(fixture.runner(ProcessingMode.RECORD)
                    .deadLetterTopic(topic -> deadLetterTopicBroken.get() ? "not a valid topic name!" : topic + "-dlt")
                    .build());

            await().atMost(RunnerFixture.WAIT)
                    .until(() -> fixture.counter("dedup.dead.letter.failures") >= 2);
            assertThat(fixture.committed).isEmpty();
            assertThat(fixture.brokerCommitted()).isEmpty();

            deadLetterTopicBroken.set(false);
            fixture.awaitAllCommitted();

            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).hasSize(1);
            assertThat(deadLetters.get(0).value()).isEqualTo(bytes("no key, so dead-lettered"));
            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("ok-1", 1));
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 2L));
        }
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void aRecordTooLargeForTheDeadLetterTopicIsDeadLetteredWithoutItsValueAndThePartitionGoesOn(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("dlt-too-large", TestDatabase.mariadb(), 1)) {
            byte[] large = new byte[200_000];
            java.util.Arrays.fill(large, (byte) 'x');
            fixture.send(0, (byte[]) null, large); // no key: INVALID, dead-lettered at once
            fixture.send(0, "ok-1", "v1");
            fixture.start(fixture.runner(mode)
                    .producerProperties(Map.of("bootstrap.servers", fixture.broker.bootstrapServers(),
                            "max.request.size", 50_000))
                    .build());

            fixture.awaitAllCommitted();

            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).hasSize(1);
            assertThat(deadLetters.get(0).value()).isNull();
            assertThat(text(deadLetters.get(0), DeadLetterHeaders.OUTCOME)).isEqualTo("INVALID");
            assertThat(text(deadLetters.get(0), DeadLetterHeaders.VALUE_OMITTED))
                    .contains("200000 bytes").contains(fixture.topic + "-0@0");
            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("ok-1", 1));
        }
    }

    @Test
    void aRecordWhoseOwnHeadersAreTooLargeForTheDeadLetterTopicIsDeadLetteredWithTheLibrarysHeadersOnly() {
        try (RunnerFixture fixture = RunnerFixture.create("dlt-headers-too-large", TestDatabase.mariadb(), 1)) {
            byte[] trace = new byte[80_000];
            java.util.Arrays.fill(trace, (byte) 't');
            fixture.send(0, (byte[]) null, "v".getBytes(StandardCharsets.UTF_8),
                    new org.apache.kafka.common.header.internals.RecordHeader("trace", trace)); // no key: INVALID
            fixture.send(0, "ok-1", "v1");
            fixture.start(fixture.runner(ProcessingMode.RECORD)
                    .producerProperties(Map.of("bootstrap.servers", fixture.broker.bootstrapServers(),
                            "max.request.size", 50_000))
                    .build());

            fixture.awaitAllCommitted();

            ConsumerRecord<byte[], byte[]> deadLetter = fixture.deadLetters(1).get(0);
            assertThat(deadLetter.value()).isNull();
            assertThat(deadLetter.headers().lastHeader("trace")).isNull();
            assertThat(text(deadLetter, DeadLetterHeaders.OUTCOME)).isEqualTo("INVALID");
            assertThat(text(deadLetter, DeadLetterHeaders.VALUE_OMITTED))
                    .contains("own headers").contains(fixture.topic + "-0@0");
            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("ok-1", 1));
        }
    }

    @Test
    void aDeadLetterClusterThatIsGoneNeverHoldsThePollLoopLongerThanAFifthOfThePollInterval() {
        try (RunnerFixture fixture = RunnerFixture.create("dlt-gone", TestDatabase.mariadb(), 1)) {
            fixture.send(0, null, "no key, so dead-lettered");
            fixture.send(0, "ok-1", "v1");
            fixture.start(fixture.runner(ProcessingMode.RECORD)
                    .consumerProperty("max.poll.interval.ms", 10_000) // a dead-letter budget of 2 s
                    .producerProperties(Map.of("bootstrap.servers", "127.0.0.1:1")) // a cluster nobody answers on
                    .build());

            // Each attempt gives up within the budget (the defaults would block for a minute and more, and get the
            // consumer evicted): several failed attempts, nothing committed past the record, nothing lost.
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.counter("dedup.dead.letter.failures") >= 3);
            assertThat(fixture.brokerCommitted()).isEmpty();
            assertThat(fixture.effectsByKey()).isEmpty();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
