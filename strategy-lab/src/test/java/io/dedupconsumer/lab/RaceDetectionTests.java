package io.dedupconsumer.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lab can see a failure: strategies whose check and act are not atomic apply an event twice when its
 * deliveries arrive together. A 20 ms race window (each transaction stays open that long before committing)
 * keeps every round's deliveries overlapping even on a busy 2-core machine; 10 rounds of 8 deliveries then give
 * the race 10 chances, of which the tests need one.
 */
class RaceDetectionTests {

    private static final Plan RACY = new Plan(8, 10, RaceWindow.ofMillis(20));

    private static LabSession session;

    @BeforeAll
    static void openSession() throws SQLException {
        session = LabSession.open(Endpoints.LOCAL, RACY.concurrency());
    }

    @AfterAll
    static void closeSession() throws SQLException {
        session.close();
    }

    @Test
    void selectThenInsertWithoutAUniqueIndexAppliesTheSameEventTwice() throws SQLException {
        TrialResult result = session.run("select-then-insert", RACY);

        assertThat(result.doubleEffects()).isPositive();
        assertThat(result.verdict()).isEqualTo(TrialResult.Verdict.UNSAFE);
    }

    @Test
    void selectThenInsertBehindAUniqueIndexFailsTheLateInsertWithDuplicateKeyInsteadOfApplyingTwice()
            throws SQLException {
        TrialResult result = session.run("select-then-insert+unique-index", RACY);

        assertThat(result.count(Outcome.DUPLICATE_KEY))
                .as("deliveries whose select saw nothing, whose insert blocked and then failed with 1062")
                .isPositive();
        assertThat(result.doubleEffects()).isZero();
    }

    @Test
    void redisLockReleasedBeforeCommitLetsTheNextHolderApplyTheEventAgain() throws SQLException {
        TrialResult result = session.run("redis-lock-release-before-commit", RACY);

        assertThat(result.doubleEffects()).isPositive();
        assertThat(result.verdict()).isEqualTo(TrialResult.Verdict.UNSAFE);
    }

    @Test
    void redisTokenCheckThenSetLetsSimultaneousDuplicatesThrough() throws SQLException {
        TrialResult result = session.run("redis-token", RACY);

        assertThat(result.doubleEffects()).isPositive();
    }

    @Test
    void md5CacheAsTheOnlyGuardLetsSimultaneousDuplicatesThrough() throws SQLException {
        TrialResult result = session.run("md5-cache-only", RACY);

        assertThat(result.doubleEffects()).isPositive();
    }
}
