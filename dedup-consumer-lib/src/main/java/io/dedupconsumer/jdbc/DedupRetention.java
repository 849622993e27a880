package io.dedupconsumer.jdbc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the dedup table bounded: deletes the keys processed longer ago than a retention window.
 *
 * <p>Why it is safe: a key only has to outlive every possible redelivery of its record. Kafka cannot redeliver a
 * record it has deleted, so a window at least as long as the topic's retention ({@code retention.ms}) loses nothing;
 * {@code io.dedupconsumer.kafka.RetentionGuard} checks that at start-up. A shorter window lets a redelivered old
 * record pass as new.
 *
 * <p>Why it does not disturb the consumers: the keys go in small batches ({@link Builder#batchSize(int)}), each batch
 * its own short transaction on a connection borrowed for that batch only, with an optional pause between batches. No
 * statement ever holds locks on more than one batch of old rows, and the consumers' claims (new rows) never wait for
 * more than one batch. The cutoff is fixed at the start of a run, so a run ends even while keys keep ageing.
 *
 * <p>Why no key younger than the window is ever deleted: age is measured on one clock, the database's. The claim
 * statement itself writes {@code processed_at} with the database's current time, and a run reads its cutoff from the
 * same clock: the database's current time when the run starts, minus the window. A row is deleted only if its
 * {@code processed_at} is before that cutoff, that is, only if its claim statement ran more than a window before the
 * run started. That holds for a claim that commits while a run is in progress too (one the delete waited for, or one
 * committed after the delete's snapshot): its {@code processed_at} is the time of its own claim statement, so it could
 * only match if its transaction had stayed open for longer than the window (at least a minute; in practice the
 * topics' retention). No application clock takes part: one running behind or ahead, or two instances disagreeing,
 * cannot age a key, and neither can a session time zone (MySQL's column holds UTC, written by
 * {@code UTC_TIMESTAMP}). Any window is safe: one reaching back before the year 1000 keeps every key
 * (the cutoff is then before every key). The one clock that matters is the database server's: set it by NTP, as for any
 * database (a server clock stepped forward by an hour ages every key by an hour).
 *
 * <p>Run it with {@link #purgeOnce()} (e.g. from a scheduler the application already has) or on its own schedule
 * with {@link #start(Duration)}; {@link #close()} stops it between two batches. Thread-safe; runs never overlap.
 * Run it on one instance of a scaled-out application if you can: concurrent purges of the same rows wait for each
 * other (harmless, but wasted).
 *
 * <p>Meters (tag {@code table}): {@code dedup.purge.deleted} (counter), {@code dedup.purge.duration} (timer, one
 * sample per run), {@code dedup.purge.failures} (counter), {@code dedup.purge.last.success} (gauge, epoch seconds of
 * the last run that completed, NaN before the first).
 */
public final class DedupRetention implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DedupRetention.class);
    private static final Duration MIN_WINDOW = Duration.ofMinutes(1);
    private static final Duration MAX_PAUSE = Duration.ofMinutes(1);
    private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    static final int MAX_BATCH_SIZE = 10_000;

    private final String table;
    private final RetentionStatements statements;
    private final Duration window;
    private final int batchSize;
    private final Duration pause;
    private final Counter deleted;
    private final Counter failures;
    private final Timer duration;
    private final ReentrantLock running = new ReentrantLock();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Object scheduleLock = new Object();
    private volatile double lastSuccessEpochSeconds = Double.NaN;
    private ScheduledFuture<?> scheduled;
    private ScheduledExecutorService ownExecutor;

    private DedupRetention(Builder b) {
        this.table = b.table;
        this.statements = new RetentionStatements(b.dataSource, b.table, b.dialect);
        this.window = b.window;
        this.batchSize = b.batchSize;
        this.pause = b.pause;
        this.deleted = Counter.builder("dedup.purge.deleted").description("Dedup keys deleted by the retention purge")
                .tag("table", table).register(b.meterRegistry);
        this.failures = Counter.builder("dedup.purge.failures").description("Retention runs stopped by a database error")
                .tag("table", table).register(b.meterRegistry);
        this.duration = Timer.builder("dedup.purge.duration").description("Retention runs, pauses between batches included")
                .tag("table", table).register(b.meterRegistry);
        Gauge.builder("dedup.purge.last.success", this, r -> r.lastSuccessEpochSeconds)
                .description("When the last complete retention run ended, in seconds since the epoch")
                .baseUnit("seconds").tag("table", table).register(b.meterRegistry);
    }

    /** A builder; {@code dataSource} and {@code window} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The retention window: keys processed longer ago than this are deleted. */
    public Duration window() {
        return window;
    }

    /**
     * The cutoff a run starting now would use: the database's current time minus the window, read from the database as
     * {@link #purgeOnce()} reads it. For a dry run (what would a purge delete?) and for checking a plan before running
     * it; a run reads its own cutoff again when it starts, a little later.
     *
     * @return {@link Instant#MIN} when the window reaches back before the year 1000 (every key is kept)
     * @throws SQLException when the database fails
     */
    public Instant cutoff() throws SQLException {
        return statements.cutoff(window);
    }

    /**
     * Deletes every key processed before now minus the window, now being the database's current time when the run
     * starts, in batches of at most the batch size, each batch in its own transaction. Waits for a run already in
     * progress (from the schedule or another thread) to end first.
     *
     * @return what was deleted; {@link PurgeResult#complete()} is {@code false} when {@link #close()} stopped it early
     * @throws SQLException when the database fails; the batches committed before stay deleted, and the rest is due
     *     next run
     */
    public PurgeResult purgeOnce() throws SQLException {
        running.lock();
        try {
            return run();
        } finally {
            running.unlock();
        }
    }

    private PurgeResult run() throws SQLException {
        if (closing.getCount() == 0) {
            return new PurgeResult(0, 0, null, Duration.ZERO, false);
        }
        long started = System.nanoTime();
        Instant cutoff = null;
        long total = 0;
        int batches = 0;
        boolean complete = true;
        try {
            cutoff = statements.cutoff(window);
            while (!cutoff.equals(Instant.MIN)) {
                if (closing.getCount() == 0) {
                    complete = false;
                    break;
                }
                int n = statements.deleteBatch(cutoff, batchSize);
                batches++;
                total += n;
                deleted.increment(n);
                if (n < batchSize) {
                    break;
                }
                if (!pause.isZero() && closing.await(pause.toNanos(), TimeUnit.NANOSECONDS)) {
                    complete = false;
                    break;
                }
            }
        } catch (SQLException | RuntimeException e) {
            failures.increment();
            duration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            log.warn("dedup retention of {}: run stopped by a database error after deleting {} keys older than {} "
                    + "in {} batches; the rest is due next run: {}", table, total,
                    cutoff == null ? "the cutoff (unread)" : cutoff, batches, e.toString());
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            complete = false;
        }
        long nanos = System.nanoTime() - started;
        duration.record(nanos, TimeUnit.NANOSECONDS);
        if (complete) {
            lastSuccessEpochSeconds = System.currentTimeMillis() / 1000.0;
        }
        PurgeResult result = new PurgeResult(total, batches, cutoff, Duration.ofNanos(nanos), complete);
        if (total > 0 || (!complete && batches > 0)) {
            log.info("dedup retention of {}: deleted {} keys processed before {} in {} batches, {} ms{}", table,
                    total, cutoff, batches, TimeUnit.NANOSECONDS.toMillis(nanos), complete ? "" : " (stopped early by close)");
        } else if (cutoff.equals(Instant.MIN)) {
            log.debug("dedup retention of {}: the window {} reaches back before the year 1000, every key is kept",
                    table, window);
        } else {
            log.debug("dedup retention of {}: nothing deleted before {}{}", table, cutoff,
                    complete ? "" : " (closed)");
        }
        return result;
    }

    /**
     * Runs {@link #purgeOnce()} now and then every {@code interval} after the previous run ended, on a daemon thread
     * of its own ({@code dedup-retention-<table>}) that {@link #close()} stops. A failed run is logged and counted;
     * the next one runs as planned.
     *
     * @throws IllegalArgumentException naming {@code interval} when it is shorter than a second
     * @throws IllegalStateException when already started or closed
     */
    public DedupRetention start(Duration interval) {
        validateInterval(interval);
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "dedup-retention-" + table);
            thread.setDaemon(true);
            return thread;
        });
        try {
            schedule(executor, interval, true);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
        return this;
    }

    /**
     * Like {@link #start(Duration)}, on the application's executor, which {@link #close()} leaves running.
     *
     * @throws IllegalArgumentException naming {@code interval} when it is shorter than a second
     * @throws IllegalStateException when already started or closed
     */
    public DedupRetention start(ScheduledExecutorService executor, Duration interval) {
        Objects.requireNonNull(executor, "executor");
        validateInterval(interval);
        schedule(executor, interval, false);
        return this;
    }

    private void schedule(ScheduledExecutorService executor, Duration interval, boolean own) {
        synchronized (scheduleLock) {
            if (closing.getCount() == 0) {
                throw new IllegalStateException("dedup retention of " + table + " is closed; build a new one");
            }
            if (scheduled != null) {
                throw new IllegalStateException("dedup retention of " + table + " is already started");
            }
            scheduled = executor.scheduleWithFixedDelay(this::scheduledRun, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
            if (own) {
                ownExecutor = executor;
            }
        }
    }

    private void scheduledRun() {
        try {
            purgeOnce();
        } catch (SQLException | RuntimeException e) {
            // logged and counted by the run; the schedule goes on
            log.debug("dedup retention of {}: scheduled run failed", table, e);
        }
    }

    private static void validateInterval(Duration interval) {
        if (interval == null || interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("interval: " + interval + " is too short; purge every second at most "
                    + "often (minutes to an hour is typical: keys only need to go within a fraction of the window)");
        }
    }

    /**
     * Stops the schedule, if any, and waits (up to 30 s) for a run in progress to end after its current batch. A
     * direct {@link #purgeOnce()} after close returns at once, incomplete. Idempotent.
     */
    @Override
    public void close() {
        ScheduledExecutorService executor;
        synchronized (scheduleLock) {
            closing.countDown();
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            executor = ownExecutor;
        }
        if (executor != null) {
            executor.shutdown();
        }
        try {
            if (running.tryLock(CLOSE_WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
                running.unlock();
            } else {
                log.warn("dedup retention of {}: a batch still runs after {}; not waiting longer", table, CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "DedupRetention[table=" + table + ", window=" + window + ", batchSize=" + batchSize
                + ", pause=" + pause + "]";
    }

    /**
     * Configures a {@link DedupRetention}. Every setter checks its value at once; {@link #build()} checks the
     * required ones. The messages name the setting.
     */
    public static final class Builder {
        private DataSource dataSource;
        private String table = DedupTable.DEFAULT_NAME;
        private Dialect dialect;
        private Duration window;
        private int batchSize = 1_000;
        private Duration pause = Duration.ofMillis(10);
        private MeterRegistry meterRegistry = Metrics.globalRegistry;

        private Builder() {
        }

        /** Required. The database of the dedup table. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** The dedup table; defaults to {@value DedupTable#DEFAULT_NAME}. Must be an SQL identifier, optionally schema-qualified. */
        public Builder table(String table) {
            this.table = DedupTable.validName(table);
            return this;
        }

        /** The database dialect; by default detected from the first connection. */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * Required. How long a key is kept after its record was processed: at least the retention of every topic the
         * consumers read ({@code retention.ms}), or a redelivered old record would pass as new. At least a minute;
         * any longer duration works, up to {@link java.time.temporal.ChronoUnit#FOREVER}: a window reaching back
         * before the year 1000 keeps every key.
         */
        public Builder window(Duration window) {
            if (window == null || window.compareTo(MIN_WINDOW) < 0) {
                throw new IllegalArgumentException("window: " + window + " is too short; keep keys at least as long "
                        + "as the topics' retention.ms (e.g. Duration.ofDays(7) for Kafka's default), and at least "
                        + MIN_WINDOW);
            }
            this.window = window;
            return this;
        }

        /**
         * Keys deleted per statement and transaction; defaults to 1,000. Smaller batches hold row locks for less
         * time; larger ones purge faster. 1 to {@value #MAX_BATCH_SIZE}.
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
                throw new IllegalArgumentException("batchSize: " + batchSize + " is out of range; use 1 to "
                        + MAX_BATCH_SIZE + " (each batch holds its rows' locks until it commits)");
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * The pause after a full batch, leaving the database (and a MySQL replica applying the deletes) room for the
         * consumers; defaults to 10 ms. Zero to a minute.
         */
        public Builder pauseBetweenBatches(Duration pause) {
            if (pause == null || pause.isNegative() || pause.compareTo(MAX_PAUSE) > 0) {
                throw new IllegalArgumentException("pauseBetweenBatches: " + pause + " is out of range; use zero to "
                        + MAX_PAUSE);
            }
            this.pause = pause;
            return this;
        }

        /** Where the {@code dedup.purge.*} meters go; defaults to Micrometer's global registry. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Builds the retention; nothing runs until {@link DedupRetention#purgeOnce()} or {@link DedupRetention#start(Duration)}.
         *
         * @throws IllegalStateException naming the missing setting
         */
        public DedupRetention build() {
            if (dataSource == null) {
                throw new IllegalStateException("dataSource: required; give the DataSource of the dedup table");
            }
            if (window == null) {
                throw new IllegalStateException("window: required; keep keys at least as long as the topics' "
                        + "retention.ms, e.g. window(Duration.ofDays(7))");
            }
            return new DedupRetention(this);
        }
    }
}
