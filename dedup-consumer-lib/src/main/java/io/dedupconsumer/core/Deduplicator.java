package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.jdbc.Dialect;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a record's database side effect happen exactly once. For each record (or each batch) it runs, in ONE
 * transaction: claim the record's dedup key in the dedup table (unique on consumer name and key), run the handler on
 * the same connection only if the claim is new, commit. A crash before the commit undoes both; a redelivery after it
 * finds the claim and skips the handler. The caller commits the Kafka offset only after this returns.
 *
 * <p>Deadlocks and serialization failures are retried here. What is not the record's fault surfaces as
 * {@link DatabaseUnavailableException}: an unreachable database, one that refuses the work whatever the record (the
 * dedup table missing, a read-only database, a denied permission), and a lock wait or statement that outlasts the
 * {@linkplain Builder#transactionTimeout(Duration) transaction timeout}; the caller retries it without end and never
 * dead-letters it. Any other failure is the record's: {@link RecordProcessingException}. Thread-safe: one instance
 * serves every consumer thread of an application.
 */
public final class Deduplicator {

    private static final Logger log = LoggerFactory.getLogger(Deduplicator.class);
    /** A fifth of Kafka's default {@code max.poll.interval.ms} (5 minutes). */
    private static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(1);
    private static final Duration MIN_TRANSACTION_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MAX_TRANSACTION_TIMEOUT = Duration.ofHours(1);
    private static final Pattern CONSUMER_NAME = Pattern.compile("[A-Za-z0-9._:\\-]{1," + DedupTable.MAX_CONSUMER_NAME_LENGTH + "}");

    private final String consumerName;
    private final DedupKey dedupKey;
    private final Fingerprint fingerprint;
    private final DedupMetrics metrics;
    private final ClaimTransactions transactions;
    private final BatchIsolation batches;
    private final @Nullable GuardStep guard;
    /** Whether the user chose the transaction timeout, which {@link #forPollInterval(Duration)} then keeps. */
    private final boolean timeoutChosen;

    private Deduplicator(Builder b) {
        this.consumerName = b.consumerName;
        this.dedupKey = b.dedupKey;
        this.fingerprint = b.fingerprint;
        this.metrics = new DedupMetrics(b.meterRegistry, consumerName);
        this.transactions = new ClaimTransactions(consumerName, new ClaimStore(b.table, b.dialect),
                b.transactionRunner != null ? b.transactionRunner : TransactionRunner.jdbc(b.dataSource),
                b.transientAttempts, metrics, b.transactionTimeout != null ? b.transactionTimeout : DEFAULT_TRANSACTION_TIMEOUT);
        this.batches = new BatchIsolation(transactions, metrics, consumerName);
        this.guard = b.guard != null ? new GuardStep(b.guard, consumerName, metrics) : null;
        this.timeoutChosen = b.transactionTimeout != null;
    }

    private Deduplicator(Deduplicator other, Duration transactionTimeout) {
        this.consumerName = other.consumerName;
        this.dedupKey = other.dedupKey;
        this.fingerprint = other.fingerprint;
        this.metrics = other.metrics;
        this.transactions = other.transactions.withTimeout(transactionTimeout);
        this.batches = new BatchIsolation(transactions, metrics, consumerName);
        this.guard = other.guard;
        this.timeoutChosen = other.timeoutChosen;
    }

    /** A builder; {@code consumerName}, {@code dedupKey} and a {@code dataSource} (or {@code transactionRunner}) are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The name that scopes this consumer's keys in the dedup table. */
    public String consumerName() {
        return consumerName;
    }

    /** The dedup table this deduplicator claims keys in, as configured (validated, optionally schema-qualified). */
    public String table() {
        return transactions.table();
    }

    /** The bound of each lock wait and each statement of this deduplicator's transactions. */
    public Duration transactionTimeout() {
        return transactions.timeout();
    }

    /**
     * This deduplicator with its transactions fitted to a consumer's {@code max.poll.interval.ms}, so that a record
     * whose rows another transaction keeps locked times out and is retried instead of getting the consumer evicted from
     * its group (and the next owner after it). Unless a {@linkplain Builder#transactionTimeout(Duration) transaction
     * timeout} was chosen, it becomes a fifth of the interval (at least a second); a chosen one is kept. Shares
     * everything else (table, meters, guard) with this one. The kafka-clients runner calls it with its consumer's
     * setting.
     *
     * @throws IllegalArgumentException naming {@code transactionTimeout} when the chosen timeout is not below a third
     *     of the interval: a batch that times out is redone record by record, so two timeouts must fit with room left
     */
    public Deduplicator forPollInterval(Duration maxPollInterval) {
        Objects.requireNonNull(maxPollInterval, "maxPollInterval");
        Duration transactionTimeout = transactions.timeout();
        if (timeoutChosen) {
            if (transactionTimeout.multipliedBy(3).compareTo(maxPollInterval) >= 0) {
                throw new InvalidSettingException("transactionTimeout", transactionTimeout, transactionTimeout.toMillis() + " ms is not "
                        + "below a third of the consumer's max.poll.interval.ms (" + maxPollInterval.toMillis() + " ms): "
                        + "a record waiting for a locked row would get the consumer evicted from its group. Lower "
                        + "transactionTimeout or raise max.poll.interval.ms");
            }
            return this;
        }
        Duration fitted = maxPollInterval.dividedBy(5);
        fitted = fitted.compareTo(MIN_TRANSACTION_TIMEOUT) < 0 ? MIN_TRANSACTION_TIMEOUT : fitted;
        return fitted.equals(transactionTimeout) ? this : new Deduplicator(this, fitted);
    }

    /**
     * Checks, before any record is processed, that the database can do this deduplicator's work, in a transaction it
     * rolls back: the dedup table exists with the columns the library uses, its name is usable on this database (a
     * reserved word such as {@code order} is not), the connection is writable, the user may read, insert and update
     * it, and its unique index is on exactly {@code (consumer_name, dedup_key)}. The integrations call it when they
     * start.
     *
     * @throws IllegalStateException when the database refuses, saying what to fix
     * @throws DatabaseUnavailableException when the database cannot be reached now (nothing is known; a consumer may
     *     start and wait for it)
     */
    public void checkDatabase() {
        transactions.checkDatabase();
    }

    /**
     * Processes one record in its own transaction: prepare (read its key and fingerprint) → claim and handle in one
     * transaction → count.
     *
     * @return the outcome; the handler ran only for {@link Outcome#PROCESSED} and {@link Outcome#REJECTED}
     * @throws DatabaseUnavailableException when the database cannot be reached; retry later
     * @throws RecordProcessingException when the handler or the database failed; the transaction rolled back
     */
    public <K, V> DedupResult process(ConsumerRecord<K, V> record, RecordHandler<K, V> handler) {
        List<Claimable> claims = List.of(Claimable.of(record, dedupKey, fingerprint));
        if (guard != null) {
            claims = guard.consult(claims);
        }
        DedupResult result = transactions.one(record, claims.get(0), new Handling.PerRecord<>(handler));
        count(result, record);
        if (guard != null) {
            guard.teach(claims, List.of(result));
        }
        return result;
    }

    /**
     * Processes a poll batch in order, in one transaction when nothing fails: the throughput path. Keys repeated
     * within the batch are claimed once (later copies are {@link Outcome#DUPLICATE} or {@link Outcome#CONFLICT}).
     * When the handler fails on a record, the batch rolls back and is redone around it: the records before it commit
     * in one transaction, the failing record gets one of its own, and if it still fails the result stops there.
     *
     * @return the results of the records that completed, and the failure that stopped the batch, if any
     */
    public <K, V> BatchResult processBatch(List<? extends ConsumerRecord<K, V>> records, RecordHandler<K, V> handler) {
        return processBatch(records, new Handling.PerRecord<>(handler));
    }

    /**
     * Processes a poll batch in one transaction when nothing fails, like {@link #processBatch(List, RecordHandler)},
     * but with the handler called once for all the records whose keys the transaction newly claimed (duplicates,
     * conflicts and invalid records removed), so that it can send its statements as one JDBC batch. When the handler
     * throws, the transaction rolls back and the batch is halved and redone until the failing record is alone; the
     * records before it commit, it gets a transaction of its own, and if it still fails the result stops there, as in
     * {@link #processBatch(List, RecordHandler)}.
     *
     * @return the results of the records that completed, and the failure that stopped the batch, if any
     */
    public <K, V> BatchResult processBatchInOneCall(List<? extends ConsumerRecord<K, V>> records,
            BatchHandler<K, V> handler) {
        return processBatch(records, new Handling.AllAtOnce<>(handler));
    }

    private <K, V> BatchResult processBatch(List<? extends ConsumerRecord<K, V>> records, Handling<K, V> handling) {
        List<Claimable> claims = new ArrayList<>(records.size());
        for (ConsumerRecord<K, V> record : records) {
            claims.add(Claimable.of(record, dedupKey, fingerprint));
        }
        if (guard != null) {
            claims = guard.consult(claims);
        }
        List<DedupResult> done = new ArrayList<>(records.size());
        BatchIsolation.Failure failure = batches.process(records, claims, 0, records.size(), handling, done);
        for (int i = 0; i < done.size(); i++) {
            count(done.get(i), records.get(i));
        }
        if (guard != null) {
            guard.teach(claims, done);
        }
        // A failure was counted where it arose, not again here.
        return failure == null ? new BatchResult(done, -1, null) : new BatchResult(done, failure.index(), failure.exception());
    }

    /**
     * Counts and returns the {@link Outcome#INVALID} outcome of a record the caller could not even read (its key or
     * value cannot be deserialized), so that every integration counts such records as the deduplicator counts the
     * records it finds invalid itself. Nothing is written (there is no key to claim) and nothing logged: the caller
     * reports the record where it dead-letters it.
     */
    public DedupResult invalid(ConsumerRecord<?, ?> record, String reason) {
        metrics.outcome(Outcome.INVALID);
        return DedupResult.invalid(null, reason);
    }

    private void count(DedupResult result, ConsumerRecord<?, ?> record) {
        metrics.outcome(result.outcome());
        if (result.outcome() == Outcome.CONFLICT) {
            log.warn("CONFLICT in consumer {}: {} has dedup key '{}' already processed from {} with another payload; "
                    + "not applied", consumerName, Claimable.coordinates(record), result.dedupKey(), result.firstDelivery());
        } else if (result.outcome() == Outcome.INVALID) {
            log.warn("INVALID record in consumer {}: {}", consumerName, result.reason());
        }
    }

    @Override
    public String toString() {
        return "Deduplicator[consumer=" + consumerName + ", table=" + table() + ", key=" + dedupKey
                + (guard != null ? ", guard=" + guard : "") + "]";
    }

    /**
     * Configures a {@link Deduplicator}. Every setter checks its value at once, and {@link #build()} checks that the
     * required ones are there; the messages name the setting.
     */
    public static final class Builder {
        private String consumerName;
        private DataSource dataSource;
        private TransactionRunner transactionRunner;
        private DedupKey dedupKey;
        private Fingerprint fingerprint = Fingerprint.sha256();
        private String table = DedupTable.DEFAULT_NAME;
        private Dialect dialect;
        private MeterRegistry meterRegistry = Metrics.globalRegistry;
        private int transientAttempts = 5;
        private DedupGuard guard;
        private Duration transactionTimeout;

        private Builder() {
        }

        /**
         * Required. Scopes the keys: two consumers (e.g. two Kafka groups doing different work on one topic) each
         * process a key once. Letters, digits, {@code . _ - :}, at most 100 characters; the Kafka group id is a good choice.
         */
        public Builder consumerName(String consumerName) {
            if (consumerName == null || !CONSUMER_NAME.matcher(consumerName).matches()) {
                throw new InvalidSettingException("consumerName", consumerName, "'" + consumerName + "' is not valid; use 1 to "
                        + DedupTable.MAX_CONSUMER_NAME_LENGTH + " letters, digits, '.', '_', '-' or ':', e.g. the Kafka group id");
            }
            this.consumerName = consumerName;
            return this;
        }

        /** The database of the dedup table and of the handler's side effects (one DataSource: one transaction). */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Instead of {@link #dataSource(DataSource)}: who runs transactions (the Spring integration sets this). */
        public Builder transactionRunner(TransactionRunner transactionRunner) {
            this.transactionRunner = Objects.requireNonNull(transactionRunner, "transactionRunner");
            return this;
        }

        /** Required. Where a record's business key comes from, e.g. {@link DedupKey#header(String)}. */
        public Builder dedupKey(DedupKey dedupKey) {
            this.dedupKey = Objects.requireNonNull(dedupKey, "dedupKey");
            return this;
        }

        /** The payload fingerprint; defaults to {@link Fingerprint#sha256()} of the value. */
        public Builder fingerprint(Fingerprint fingerprint) {
            this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
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

        /** Where the {@code dedup.*} meters go; defaults to Micrometer's global registry. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * How often a transaction runs after a deadlock or serialization failure before it fails; defaults to 5. A lock
         * wait timeout is not run again here: it already waited its transaction timeout, and the caller retries it.
         */
        public Builder transientAttempts(int transientAttempts) {
            if (transientAttempts < 1 || transientAttempts > 100) {
                throw new InvalidSettingException("transientAttempts", transientAttempts, transientAttempts + " is out of range; use 1 to 100");
            }
            this.transientAttempts = transientAttempts;
            return this;
        }

        /**
         * The longest any lock wait and any statement of a record's (or a batch's) transaction may take, the handler's
         * statements included; by default a fifth of the consumer's {@code max.poll.interval.ms} when the kafka-clients
         * runner runs it (see {@link Deduplicator#forPollInterval(Duration)}), else one minute. A record whose rows
         * another transaction keeps locked then fails in time with {@link DatabaseUnavailableException.Reason#TIMED_OUT}
         * and is retried, instead of holding the consumer until the group evicts it. Set per dialect: PostgreSQL
         * {@code lock_timeout} and {@code statement_timeout} ({@code SET LOCAL}); MariaDB
         * {@code innodb_lock_wait_timeout}, {@code lock_wait_timeout} and {@code max_statement_time}; MySQL the same
         * with {@code max_execution_time}, in whole seconds except the statement time (session settings, put back
         * after each transaction); H2 unchanged.
         *
         * @throws IllegalArgumentException naming the setting for a timeout under a second or over an hour
         */
        public Builder transactionTimeout(Duration transactionTimeout) {
            if (transactionTimeout == null || transactionTimeout.compareTo(MIN_TRANSACTION_TIMEOUT) < 0
                    || transactionTimeout.compareTo(MAX_TRANSACTION_TIMEOUT) > 0) {
                throw new InvalidSettingException("transactionTimeout", transactionTimeout, transactionTimeout + " is out of range; use "
                        + "1 second to 1 hour, below the consumer's max.poll.interval.ms");
            }
            this.transactionTimeout = transactionTimeout;
            return this;
        }

        /**
         * An optional fast check in front of the dedup table (e.g. {@code RedisDedupGuard}); none by default. Records
         * it remembers with the same fingerprint are {@link Outcome#DUPLICATE} without a database round trip; the
         * {@link DedupGuard} contract says why that never loses an event. A guard that throws is a miss.
         */
        public Builder guard(DedupGuard guard) {
            this.guard = Objects.requireNonNull(guard, "guard");
            return this;
        }

        /**
         * Builds the deduplicator.
         *
         * @throws IllegalStateException naming the missing setting
         */
        public Deduplicator build() {
            if (consumerName == null) {
                throw new IllegalStateException("consumerName: required; name the consuming application (e.g. its Kafka "
                        + "group id), it scopes the dedup keys");
            }
            if (dedupKey == null) {
                throw new IllegalStateException("dedupKey: required; say where a record's business key comes from: "
                        + "DedupKey.recordKey(), DedupKey.header(\"event-id\"), DedupKey.jsonField(\"eventId\") or a function");
            }
            if (dataSource == null && transactionRunner == null) {
                throw new IllegalStateException("dataSource: required; give the DataSource of your business tables "
                        + "(the dedup table must live in the same database)");
            }
            if (dataSource != null && transactionRunner != null) {
                throw new IllegalStateException("dataSource and transactionRunner: set one of them, not both");
            }
            return new Deduplicator(this);
        }
    }
}
