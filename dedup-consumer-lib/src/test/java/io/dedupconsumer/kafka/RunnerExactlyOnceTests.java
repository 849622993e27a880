package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A topic full of duplicates, consumed by the runner: every side effect happens exactly once. */
class RunnerExactlyOnceTests {

    private static final int KEYS = 30;
    private static final int COPIES = 3;

    static Stream<Arguments> databasesAndModes() {
        return Stream.of(
                Arguments.of(TestDatabase.mariadb(), ProcessingMode.RECORD),
                Arguments.of(TestDatabase.mariadb(), ProcessingMode.BATCH),
                Arguments.of(TestDatabase.postgresql(), ProcessingMode.RECORD),
                Arguments.of(TestDatabase.postgresql(), ProcessingMode.BATCH));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("databasesAndModes")
    void topicFullOfDuplicatesAppliesEachSideEffectExactlyOnce(TestDatabase database, ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("exactly-once", database, 3)) {
            // Each event three times, the copies spread over partitions (a re-send need not land where the first did).
            for (int copy = 0; copy < COPIES; copy++) {
                for (int key = 0; key < KEYS; key++) {
                    fixture.send((key + copy) % 3, "event-" + key, "payload-" + key);
                }
            }
            fixture.start(fixture.runner(mode).build());

            fixture.awaitAllCommitted();

            Map<String, Integer> effects = fixture.effectsByKey();
            assertThat(effects).hasSize(KEYS).allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(fixture.effects()).isEqualTo(KEYS);
            assertThat(fixture.dedupRows()).isEqualTo(KEYS);
            assertThat(fixture.outcomes(Outcome.PROCESSED)).isEqualTo(KEYS);
            assertThat(fixture.outcomes(Outcome.DUPLICATE)).isEqualTo(KEYS * (COPIES - 1));
            assertThat(fixture.brokerCommitted()).isEqualTo(fixture.endOffsets());
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }
}
