package io.dedupconsumer.lab;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one strategy through a {@link Plan}: for each round a fresh event, {@code concurrency} threads that each
 * borrow their own connection and then wait at a barrier, released together to deliver the same event; after the
 * round, the database is asked how many times the event took effect.
 */
final class Trial {

    private static final Logger log = LoggerFactory.getLogger(Trial.class);

    /** Longer than any lock wait in the lab; hitting it means the harness, not a strategy, is broken. */
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(120);

    private final DataSource dataSource;
    private final Plan plan;

    Trial(DataSource dataSource, Plan plan) {
        this.dataSource = dataSource;
        this.plan = plan;
    }

    /** Runs every round; event ids start with {@code eventPrefix}, which must be unique to this trial. */
    TrialResult run(Strategy strategy, String eventPrefix) throws SQLException {
        ExecutorService deliverers = Executors.newFixedThreadPool(plan.concurrency(), threadsNamed(strategy.name()));
        try (Connection observer = dataSource.getConnection()) {
            observer.setAutoCommit(true);
            strategy.prepare(observer);
            Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
            long effects = 0;
            long doubleEffects = 0;
            int missedRounds = 0;
            long elapsedNanos = 0;
            for (int round = 0; round < plan.rounds(); round++) {
                Event event = new Event(eventPrefix + "-r" + round, Ledger.ACCOUNT_ID, 1);
                strategy.open(observer, event);
                long balanceBefore = Ledger.balance(observer, event.accountId());

                long start = System.nanoTime();
                List<Outcome> delivered = deliverTogether(deliverers, strategy, event);
                elapsedNanos += System.nanoTime() - start;

                long rows = Ledger.effectRows(observer, event.id());
                long moves = (balanceBefore - Ledger.balance(observer, event.accountId())) / event.amount();
                if (rows != moves) {
                    log.warn("{}: event {} has {} effect rows but moved the balance {} times", strategy.name(),
                            event.id(), rows, moves);
                }
                long applied = Math.max(rows, moves);
                effects += rows;
                doubleEffects += Math.max(0, applied - 1);
                if (applied == 0) {
                    missedRounds++;
                }
                delivered.forEach(outcome -> outcomes.merge(outcome, 1, Integer::sum));
            }
            TrialResult result = new TrialResult(strategy.name(), plan, effects, doubleEffects, missedRounds,
                    outcomes, Duration.ofNanos(elapsedNanos));
            log.info("{} (race window {}): {} deliveries in {} ms, {} double effects", strategy.name(),
                    plan.window(), plan.deliveries(), result.elapsed().toMillis(), doubleEffects);
            return result;
        } finally {
            deliverers.shutdownNow();
        }
    }

    private List<Outcome> deliverTogether(ExecutorService deliverers, Strategy strategy, Event event) {
        CyclicBarrier gate = new CyclicBarrier(plan.concurrency());
        List<Future<Outcome>> futures = new ArrayList<>(plan.concurrency());
        for (int i = 0; i < plan.concurrency(); i++) {
            futures.add(deliverers.submit(() -> deliverOnce(strategy, event, gate)));
        }
        List<Outcome> outcomes = new ArrayList<>(futures.size());
        for (Future<Outcome> future : futures) {
            try {
                outcomes.add(future.get(ROUND_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while " + strategy.name() + " delivered " + event.id(), e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("the lab could not deliver " + event.id() + " to " + strategy.name(), e);
            }
        }
        return outcomes;
    }

    private Outcome deliverOnce(Strategy strategy, Event event, CyclicBarrier gate)
            throws SQLException, InterruptedException, BrokenBarrierException, TimeoutException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            gate.await(ROUND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            try {
                return strategy.deliver(c, event);
            } catch (SQLException e) {
                c.rollback();
                Outcome outcome = Outcome.of(e);
                if (outcome == Outcome.FAILED) {
                    log.warn("{}: delivery of {} failed", strategy.name(), event.id(), e);
                }
                return outcome;
            } catch (RuntimeException e) {
                c.rollback();
                log.warn("{}: delivery of {} failed", strategy.name(), event.id(), e);
                return Outcome.FAILED;
            }
        }
    }

    private static ThreadFactory threadsNamed(String strategy) {
        AtomicInteger next = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "lab-" + strategy + "-" + next.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
