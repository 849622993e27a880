package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.chaos.ChaosSchedule.Type;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The fault schedule: reproducible from its seed, and covering every fault even in a short run. */
class ChaosScheduleTests {

    @Test
    void theSameSeedGivesTheSameScheduleAndTheSameFaultPlans() {
        ChaosOptions options = ChaosOptions.ci(42);

        assertThat(ChaosSchedule.of(options, 3)).isEqualTo(ChaosSchedule.of(options, 3));
        assertThat(ChaosSchedule.of(options, 3)).isNotEqualTo(ChaosSchedule.of(ChaosOptions.ci(43), 3));
        IntStream.rangeClosed(1, 20).forEach(incarnation -> assertThat(ChaosSchedule.plan(options, incarnation, false))
                .isEqualTo(ChaosSchedule.plan(options, incarnation, false)));
    }

    @Test
    void aShortRunStillStrikesWithEveryKindOfFault() {
        for (long seed = 1; seed <= 50; seed++) {
            ChaosOptions options = ChaosOptions.ci(seed);

            assertThat(ChaosSchedule.of(options, 3).actions()).extracting(ChaosSchedule.Action::type)
                    .as("seed %d", seed).contains(Type.SIGKILL, Type.DB_OUTAGE, Type.BROKER_RESTART)
                    .containsAnyOf(Type.START, Type.STOP);
            assertThat(IntStream.rangeClosed(1, 3).mapToObj(i -> ChaosSchedule.plan(options, i, false)))
                    .as("seed %d", seed)
                    .anyMatch(plan -> plan.haltAfterCommit() > 0)
                    .anyMatch(plan -> plan.haltBeforeCommit() > 0)
                    .anyMatch(plan -> plan.stallBeforeCommit() > 0);
        }
    }

    @Test
    void aStallOutlastsTheMaxPollIntervalSoThatTheStalledProcessBecomesAZombie() {
        ChaosOptions options = ChaosOptions.ci(5);

        assertThat(IntStream.rangeClosed(1, 200).mapToObj(i -> ChaosSchedule.plan(options, i, false))
                .filter(plan -> plan.stallBeforeCommit() > 0))
                .isNotEmpty()
                .allMatch(plan -> plan.stall().compareTo(options.maxPollInterval()) > 0);
    }

    @Test
    void theUnsafeConsumerAlwaysHaltsBeforeACommitAndProcessesStartedWhileDrainingRunClean() {
        ChaosOptions unsafe = ChaosOptions.unsafe(7);

        assertThat(IntStream.rangeClosed(1, 20).mapToObj(i -> ChaosSchedule.plan(unsafe, i, false)))
                .allMatch(plan -> plan.haltBeforeCommit() > 0 && plan.haltAfterCommit() == 0);
        assertThat(ChaosSchedule.plan(ChaosOptions.ci(7), 1, true)).isEqualTo(FaultPlan.NONE);
        assertThat(ChaosSchedule.of(unsafe, 2).actions()).isEmpty();
    }

    @Test
    void actionsStayInsideTheChaosWindowAndOutagesLastSeconds() {
        ChaosOptions options = ChaosOptions.soak(Duration.ofMinutes(10), 3);

        assertThat(ChaosSchedule.of(options, 3).actions())
                .allMatch(action -> action.at().compareTo(options.duration()) < 0)
                .filteredOn(action -> action.type() == Type.DB_OUTAGE)
                .allMatch(action -> action.length().toSeconds() >= 3 && action.length().toSeconds() < 8);
    }
}
