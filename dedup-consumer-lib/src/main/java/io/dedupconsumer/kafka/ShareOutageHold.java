package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.coordinates;

import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.Deduplicator;
import java.time.Duration;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link DedupShareConsumerRunner} waits out an unavailable database: first holding the records in hand, their
 * locks renewed, so that the outage costs them no delivery (the broker archives a record after
 * {@code group.share.delivery.count.limit} deliveries, releases included), then, past {@code maxLockRenewal}, without
 * records and without polling. Apart from the runner because an outage is never a record's failure and is handled
 * by its own rules (probe with capped backoff, never dead-letter, never reject).
 */
final class ShareOutageHold {

    private static final Logger log = LoggerFactory.getLogger(DedupShareConsumerRunner.class);

    private final ShareLocks locks;
    private final ExecutorService handlerThread;
    private final Deduplicator deduplicator;
    private final Backoff backoff;
    private final RunnerMetrics metrics;
    private final CountDownLatch stopping;
    private final String name;

    ShareOutageHold(ShareLocks locks, ExecutorService handlerThread, Deduplicator deduplicator, Backoff backoff,
            RunnerMetrics metrics, CountDownLatch stopping, String name) {
        this.locks = locks;
        this.handlerThread = handlerThread;
        this.deduplicator = deduplicator;
        this.backoff = backoff;
        this.metrics = metrics;
        this.stopping = stopping;
        this.name = name;
    }

    /**
     * Waits for the database while keeping the records in hand, renewing their locks. Gives up, and lets the caller
     * release them, when the record has been held for {@code maxLockRenewal}, when a lock cannot be renewed, or on
     * {@link DedupShareConsumerRunner#close()}.
     *
     * @return whether the database answers again with the records still held
     */
    boolean holdThrough(ShareLocks.Held current, Deque<ConsumerRecord<byte[], byte[]>> held) {
        if (!locks.renewable()) {
            return false;
        }
        for (int attempt = 1; stopping.getCount() > 0 && !current.lost; attempt++) {
            if (locks.heldTooLong(current)) {
                log.warn("share consumer {}: the database has been unavailable while {} was held for {} ms; releasing "
                        + "it and the {} records behind it (each release costs a delivery) and waiting for the database",
                        name, coordinates(current.record), locks.maxLockRenewal().toMillis(), held.size());
                return false;
            }
            Duration pause = backoff.delay(attempt);
            // on the handler thread, so that a probe that waits for a connection does not hold up the renewals
            if (locks.await(current, held, handlerThread.submit(() -> {
                pause(pause);
                return databaseAnswers();
            }))) {
                return true;
            }
        }
        return false;
    }

    /** Probes the database with capped backoff, without polling (polling would spend the records' deliveries). */
    void awaitDatabase() {
        for (int attempt = 1; stopping.getCount() > 0; attempt++) {
            pause(backoff.delay(attempt));
            if (databaseAnswers()) {
                return;
            }
        }
    }

    private boolean databaseAnswers() {
        try {
            deduplicator.checkDatabase();
            log.info("share consumer {}: the database answers again", name);
            return true;
        } catch (DatabaseUnavailableException e) {
            metrics.databaseRetry();
            log.warn("share consumer {}: the database is still unavailable ({}): {}", name, e.reason(), e.getMessage());
        } catch (IllegalStateException e) {
            metrics.databaseRetry();
            log.error("share consumer {}: the database refuses the dedup table's work; waiting until an operator fixes "
                    + "it: {}", name, e.getMessage());
        }
        return false;
    }

    /** Sleeps for {@code pause}, or until {@link DedupShareConsumerRunner#close()}; also the runner's retry backoff. */
    void pause(Duration pause) {
        try {
            if (stopping.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
                log.debug("share consumer {}: pause cut short by close()", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
