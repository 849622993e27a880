package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RunnerFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Through the runner and a real broker: two different binary ids are never one key. */
class RunnerKeyFidelityTests {

    private static final byte[] ID_FF = {'i', 'd', '-', (byte) 0xFF};
    private static final byte[] ID_FE = {'i', 'd', '-', (byte) 0xFE};

    private static Deduplicator keyedOn(RunnerFixture fixture, DedupKey key) {
        return Deduplicator.builder().consumerName(fixture.group).dedupKey(key).dataSource(fixture.dataSource)
                .meterRegistry(fixture.registry).build();
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void nonUtf8HeaderKeysThatDifferAreDeadLetteredAsInvalidNeverMerged(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("nonutf8-header", TestDatabase.postgresql(), 1)) {
            fixture.send(0, "r-1", "paid 10", new RecordHeader("event-id", ID_FF));
            fixture.send(0, "r-2", "paid 10", new RecordHeader("event-id", ID_FE));
            fixture.send(0, "r-3", "paid 10", new RecordHeader("event-id", new byte[] {'i', 'd', '-', 'o', 'k'}));
            fixture.start(fixture.runner(mode).deduplicator(keyedOn(fixture, DedupKey.header("event-id"))).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("r-3", 1));
            assertThat(fixture.seen).extracting(RunnerFixture.Seen::outcome)
                    .containsExactly(Outcome.INVALID, Outcome.INVALID, Outcome.PROCESSED);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(2);
            assertThat(deadLetters).extracting(r -> r.headers().lastHeader("event-id").value()).containsExactly(ID_FF, ID_FE);
            assertThat(deadLetters).allSatisfy(r -> {
                assertThat(text(r, DeadLetterHeaders.OUTCOME)).isEqualTo("INVALID");
                assertThat(text(r, DeadLetterHeaders.REASON)).contains("not valid UTF-8")
                        .contains("DedupKey.headerBytes(\"event-id\")");
            });
        }
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void binaryHeaderKeysThatDifferAreEachProcessedOnceWhenKeyedOnTheirBytes(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("binary-header", TestDatabase.mariadb(), 1)) {
            fixture.send(0, "r-1", "paid 10", new RecordHeader("event-id", ID_FF));
            fixture.send(0, "r-2", "paid 10", new RecordHeader("event-id", ID_FE));
            fixture.send(0, "r-3", "paid 10", new RecordHeader("event-id", ID_FF));
            fixture.start(fixture.runner(mode).deduplicator(keyedOn(fixture, DedupKey.headerBytes("event-id"))).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("r-1", 1, "r-2", 1));
            assertThat(fixture.seen).extracting(RunnerFixture.Seen::outcome)
                    .containsExactly(Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE);
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }
}
