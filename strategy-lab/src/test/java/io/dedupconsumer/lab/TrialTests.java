package io.dedupconsumer.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harness itself: real concurrency, and verdicts taken from the database rather than from the strategies. */
class TrialTests {

    private static final int K = 4;

    private static LabSession session;

    @BeforeAll
    static void openSession() throws SQLException {
        session = LabSession.open(Endpoints.LOCAL, K);
    }

    @AfterAll
    static void closeSession() throws SQLException {
        session.close();
    }

    @Test
    void deliversEachRoundFromKThreadsAtOnceEachOnItsOwnConnection() throws SQLException {
        MeetingStrategy meeting = new MeetingStrategy(K);

        TrialResult result = session.run(meeting, new Plan(K, 3, RaceWindow.NONE));

        assertThat(result.count(Outcome.SKIPPED))
                .as("all K deliveries of each round were inside deliver() at the same time")
                .isEqualTo(3 * K);
        assertThat(meeting.connectionsByEvent).hasSize(3)
                .allSatisfy((event, connections) -> assertThat(connections).hasSize(K));
    }

    @Test
    void countsDoubleEffectsFromTheDatabaseEvenWhenTheStrategyReportsNone() throws SQLException {
        TrialResult result = session.run(new AppliesTwiceReportsSkipped(), new Plan(2, 3, RaceWindow.NONE));

        assertThat(result.count(Outcome.APPLIED)).isZero();
        assertThat(result.effects()).isEqualTo(3 * 2 * 2);
        assertThat(result.doubleEffects()).isEqualTo(3 * 3);
        assertThat(result.verdict()).isEqualTo(TrialResult.Verdict.UNSAFE);
    }

    @Test
    void countsARoundThatLeftNoEffectAsMissedEvenWhenTheStrategyReportsApplied() throws SQLException {
        TrialResult result = session.run(new RollsBackReportsApplied(), new Plan(2, 3, RaceWindow.NONE));

        assertThat(result.count(Outcome.APPLIED)).isEqualTo(3 * 2);
        assertThat(result.effects()).isZero();
        assertThat(result.missedRounds()).isEqualTo(3);
        assertThat(result.verdict()).isEqualTo(TrialResult.Verdict.UNSAFE);
    }

    /** Applies nothing; each delivery notes its connection and waits for all K deliveries of its round to meet. */
    private static final class MeetingStrategy implements Strategy {

        private final CyclicBarrier meeting;
        private final Map<String, Set<Long>> connectionsByEvent = new ConcurrentHashMap<>();

        MeetingStrategy(int parties) {
            this.meeting = new CyclicBarrier(parties);
        }

        @Override
        public String name() {
            return "meeting";
        }

        @Override
        public void prepare(Connection c) throws SQLException {
            Ledger.create(c, EffectIndex.PLAIN);
        }

        @Override
        public Outcome deliver(Connection c, Event e) throws SQLException {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
                rs.next();
                connectionsByEvent.computeIfAbsent(e.id(), id -> ConcurrentHashMap.newKeySet()).add(rs.getLong(1));
            }
            try {
                meeting.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            } catch (BrokenBarrierException | TimeoutException ex) {
                throw new IllegalStateException("deliveries of " + e.id() + " did not overlap", ex);
            }
            c.rollback();
            return Outcome.SKIPPED;
        }
    }

    /** A broken strategy that hides it: applies every delivery twice and says it did nothing. */
    private static final class AppliesTwiceReportsSkipped implements Strategy {

        @Override
        public String name() {
            return "applies-twice-reports-skipped";
        }

        @Override
        public void prepare(Connection c) throws SQLException {
            Ledger.create(c, EffectIndex.PLAIN);
        }

        @Override
        public Outcome deliver(Connection c, Event e) throws SQLException {
            Ledger.apply(c, e);
            Ledger.apply(c, e);
            c.commit();
            return Outcome.SKIPPED;
        }
    }

    /** A broken strategy that hides it the other way: never commits and says it applied. */
    private static final class RollsBackReportsApplied implements Strategy {

        @Override
        public String name() {
            return "rolls-back-reports-applied";
        }

        @Override
        public void prepare(Connection c) throws SQLException {
            Ledger.create(c, EffectIndex.PLAIN);
        }

        @Override
        public Outcome deliver(Connection c, Event e) throws SQLException {
            Ledger.apply(c, e);
            c.rollback();
            return Outcome.APPLIED;
        }
    }
}
