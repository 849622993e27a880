package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The long soak, run only by the {@code chaos} Maven profile:
 * {@code mvn -B -ntp -Pchaos -pl dedup-consumer-chaos -am verify -Dchaos.duration=PT30M [-Dchaos.seed=N]
 * [-Dchaos.database=postgresql]}. Every fault for the whole duration (default five minutes), on MariaDB unless told
 * otherwise, then a replay of the whole topic that must change nothing.
 */
class ChaosSoakTests {

    @Test
    void everyEventTakesEffectExactlyOnceThroughALongSoakAndAReplayChangesNothing() {
        Duration duration = Duration.parse(System.getProperty("chaos.duration", "PT5M"));
        long seed = Long.getLong("chaos.seed", new SecureRandom().nextInt(1_000_000));

        ChaosSummary summary = ChaosRun.run(ChaosOptions.soak(duration, seed).on(ChaosOptions.chosenDatabase()),
                System.out);

        assertThat(summary.violations()).as("violations (seed %d)", seed).isEmpty();
        assertThat(summary.unexpectedExits()).as("consumers that exited on their own").isZero();
    }
}
