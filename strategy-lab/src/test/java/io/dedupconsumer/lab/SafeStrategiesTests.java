package io.dedupconsumer.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every strategy the project calls safe, raced by 8 simultaneous deliveries per event on the real MariaDB and
 * Redis, leaves each event applied exactly once.
 */
class SafeStrategiesTests {

    private static final Plan PLAN = new Plan(8, 30, RaceWindow.ofMillis(2));

    private static LabSession session;

    @BeforeAll
    static void openSession() throws SQLException {
        session = LabSession.open(Endpoints.LOCAL, PLAN.concurrency());
    }

    @AfterAll
    static void closeSession() throws SQLException {
        session.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "select-then-insert+unique-index",
            "redis-lock-release-after-commit",
            "optimistic-version",
            "pessimistic-for-update",
            "unique-index",
            "state-machine",
            "md5-cache+unique-index"})
    void appliesEveryEventExactlyOnceUnderSimultaneousDuplicates(String strategy) throws SQLException {
        TrialResult result = session.run(strategy, PLAN);

        assertThat(result.doubleEffects()).as("double effects").isZero();
        assertThat(result.missedRounds()).as("rounds without an effect").isZero();
        assertThat(result.effects()).isEqualTo(PLAN.rounds());
        assertThat(result.count(Outcome.APPLIED)).isEqualTo(PLAN.rounds());
        assertThat(result.errors().keySet())
                .as("duplicates are turned away by a check or by the unique index, never by a failure")
                .isSubsetOf(Outcome.DUPLICATE_KEY);
        assertThat(result.verdict()).isEqualTo(TrialResult.Verdict.SAFE);
    }
}
