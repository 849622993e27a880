package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.ClaimRequest;
import io.dedupconsumer.jdbc.ConcurrentClaimException;
import io.dedupconsumer.jdbc.DedupStore;
import io.dedupconsumer.jdbc.Dialect;
import io.dedupconsumer.jdbc.StoredClaim;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
    private static final Pattern CONSUMER_NAME = Pattern.compile("[A-Za-z0-9._:\\-]{1," + DedupStore.MAX_CONSUMER_NAME_LENGTH + "}");

    private final String consumerName;
    private final DedupKey dedupKey;
    private final Fingerprint fingerprint;
    private final DedupStore store;
    private final TransactionRunner transactions;
    private final int transientAttempts;
    private final DedupMetrics metrics;
    private final DedupGuard guard;
    /** Bounds each lock wait and statement of a transaction (see {@link Builder#transactionTimeout(Duration)}). */
    private final Duration transactionTimeout;
    /** Whether the user chose {@link #transactionTimeout}, which {@link #forPollInterval(Duration)} then keeps. */
    private final boolean timeoutChosen;

    private Deduplicator(Builder b) {
        this.consumerName = b.consumerName;
        this.dedupKey = b.dedupKey;
        this.fingerprint = b.fingerprint;
        this.store = DedupStore.create(b.table, b.dialect);
        this.transactions = b.transactionRunner != null ? b.transactionRunner : TransactionRunner.jdbc(b.dataSource);
        this.transientAttempts = b.transientAttempts;
        this.metrics = new DedupMetrics(b.meterRegistry, consumerName);
        this.guard = b.guard;
        this.transactionTimeout = b.transactionTimeout != null ? b.transactionTimeout : DEFAULT_TRANSACTION_TIMEOUT;
        this.timeoutChosen = b.transactionTimeout != null;
    }

    private Deduplicator(Deduplicator other, Duration transactionTimeout) {
        this.consumerName = other.consumerName;
        this.dedupKey = other.dedupKey;
        this.fingerprint = other.fingerprint;
        this.store = other.store;
        this.transactions = other.transactions;
        this.transientAttempts = other.transientAttempts;
        this.metrics = other.metrics;
        this.guard = other.guard;
        this.transactionTimeout = transactionTimeout;
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

    /** The dedup table, e.g. to purge old keys. */
    public DedupStore store() {
        return store;
    }

    /** The bound of each lock wait and each statement of this deduplicator's transactions. */
    public Duration transactionTimeout() {
        return transactionTimeout;
    }

    /**
     * This deduplicator with its transactions fitted to a consumer's {@code max.poll.interval.ms}, so that a record
     * whose rows another transaction keeps locked times out and is retried instead of getting the consumer evicted from
     * its group (and the next owner after it). Unless a {@linkplain Builder#transactionTimeout(Duration) transaction
     * timeout} was chosen, it becomes a fifth of the interval (at least a second); a chosen one is kept. Shares
     * everything else (store, meters, guard) with this one. The kafka-clients runner calls it with its consumer's
     * setting.
     *
     * @throws IllegalArgumentException naming {@code transactionTimeout} when the chosen timeout is not below a third
     *     of the interval: a batch that times out is redone record by record, so two timeouts must fit with room left
     */
    public Deduplicator forPollInterval(Duration maxPollInterval) {
        Objects.requireNonNull(maxPollInterval, "maxPollInterval");
        if (timeoutChosen) {
            if (transactionTimeout.multipliedBy(3).compareTo(maxPollInterval) >= 0) {
                throw new IllegalArgumentException("transactionTimeout: " + transactionTimeout.toMillis() + " ms is not "
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
     * rolls back (see {@link DedupStore#probe(Connection)}): the dedup table exists with the columns the library uses,
     * its name is usable on this database (a reserved word such as {@code order} is not), the connection is writable,
     * the user may read, insert and update it, and its unique index is on {@code (consumer_name, dedup_key)}. The
     * kafka-clients runner calls it when it starts.
     *
     * @throws IllegalStateException when the database refuses, saying what to fix
     * @throws DatabaseUnavailableException when the database cannot be reached now (nothing is known; a consumer may
     *     start and wait for it)
     */
    public void checkDatabase() {
        try {
            transactions.inTransaction(connection -> bounded(connection, () -> {
                store.probe(connection);
                throw new ProbeDone();
            }));
        } catch (ProbeDone done) {
            log.info("consumer {}: the dedup table {} is usable (read, insert, update, unique index)", consumerName,
                    store.table());
        } catch (IllegalStateException e) {
            throw new IllegalStateException("consumer " + consumerName + " cannot start: " + e.getMessage(), e);
        } catch (Exception e) {
            DatabaseErrors.Kind kind = DatabaseErrors.classify(e);
            if (kind == DatabaseErrors.Kind.UNREACHABLE || kind == DatabaseErrors.Kind.TIMED_OUT) {
                throw new DatabaseUnavailableException(kind == DatabaseErrors.Kind.UNREACHABLE
                        ? DatabaseUnavailableException.Reason.UNREACHABLE : DatabaseUnavailableException.Reason.TIMED_OUT,
                        "consumer " + consumerName + ": cannot check the dedup table " + store.table() + " now: " + e, e);
            }
            throw new IllegalStateException("consumer " + consumerName + " cannot start: the database refuses its work "
                    + "with the dedup table " + store.table() + ": " + DatabaseErrors.advice(e, store.table()), e);
        }
    }

    /**
     * Processes one record in its own transaction.
     *
     * @return the outcome; the handler ran only for {@link Outcome#PROCESSED} and {@link Outcome#REJECTED}
     * @throws DatabaseUnavailableException when the database cannot be reached; retry later
     * @throws RecordProcessingException when the handler or the database failed; the transaction rolled back
     */
    public <K, V> DedupResult process(ConsumerRecord<K, V> record, RecordHandler<K, V> handler) {
        Claimable claim = prepare(record);
        if (guard != null) {
            claim = consultGuard(List.of(claim)).get(0);
        }
        DedupResult result = processClaimable(record, claim, handler);
        count(result, record);
        if (guard != null) {
            teachGuard(List.of(claim), List.of(result));
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
        List<Claimable> claims = new ArrayList<>(records.size());
        for (ConsumerRecord<K, V> record : records) {
            claims.add(prepare(record));
        }
        if (guard != null) {
            claims = consultGuard(claims);
        }
        List<DedupResult> done = new ArrayList<>(records.size());
        Failure failure = processRange(records, claims, 0, records.size(), handler, done);
        for (int i = 0; i < done.size(); i++) {
            count(done.get(i), records.get(i));
        }
        if (guard != null) {
            teachGuard(claims, done);
        }
        if (failure == null) {
            return new BatchResult(done, -1, null);
        }
        // Counted where it arose (processClaimable, or the batch transaction itself in processRange), not again here.
        return new BatchResult(done, failure.index(), failure.exception());
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

    private <K, V> DedupResult processClaimable(ConsumerRecord<K, V> record, Claimable claim, RecordHandler<K, V> handler) {
        if (claim.decided() != null) {
            return claim.decided();
        }
        long start = System.nanoTime();
        try {
            DedupResult result = withTransientRetries(() -> transactions.inTransaction(connection -> bounded(connection, () -> {
                Optional<StoredClaim> holder = store.claim(connection, consumerName, request(record, claim));
                return holder.isPresent() ? compare(claim, holder.get()) : handle(connection, record, claim.key(), handler);
            })));
            metrics.transaction(false, System.nanoTime() - start);
            return result;
        } catch (Exception e) {
            RuntimeException failure = translate(e, record);
            metrics.failure(failure);
            throw failure;
        }
    }

    private <K, V> Failure processRange(List<? extends ConsumerRecord<K, V>> records, List<Claimable> claims, int from,
            int to, RecordHandler<K, V> handler, List<DedupResult> done) {
        int start = from;
        while (start < to) {
            int first = start;
            long began = System.nanoTime();
            try {
                done.addAll(withTransientRetries(() -> transactions.inTransaction(connection -> bounded(connection,
                        () -> batchTransaction(connection, records, claims, first, to, handler)))));
                metrics.transaction(true, System.nanoTime() - began);
                return null;
            } catch (HandlerFailed e) {
                // The batch transaction failed and rolled back: a failure, whatever the record does on its own next.
                RuntimeException failure = translate(e, records.get(e.index));
                metrics.failure(failure);
                // Commit what came before the failing record, then give the failing record a transaction of its own.
                if (e.index > start) {
                    Failure before = processRange(records, claims, start, e.index, handler, done);
                    if (before != null) {
                        return before;
                    }
                }
                if (failure instanceof DatabaseUnavailableException) {
                    return new Failure(e.index, failure); // not the record's: alone, it would meet the same wall now
                }
                try {
                    done.add(processClaimable(records.get(e.index), claims.get(e.index), handler));
                } catch (RuntimeException alone) {
                    return new Failure(e.index, alone);
                }
                start = e.index + 1;
            } catch (ConcurrentClaimException e) {
                log.debug("consumer {}: a concurrent claimant won a key of the batch; claiming record by record", consumerName);
                return oneByOne(records, claims, start, to, handler, done);
            } catch (Exception e) {
                RuntimeException failure = translate(e, records.get(start));
                metrics.failure(failure);
                if (failure instanceof DatabaseUnavailableException unavailable
                        && unavailable.reason() != DatabaseUnavailableException.Reason.TIMED_OUT) {
                    return new Failure(start, failure); // the same for every record: nothing to isolate
                }
                // A statement for many records failed (the batch claim, say, refusing one record's key) or waited too
                // long for one record's locked row: only record-by-record transactions tell which record it was, so
                // that its neighbours are applied and only it gets the failure.
                log.debug("consumer {}: the batch transaction failed ({}); processing record by record to find the "
                        + "record it failed on", consumerName, e.toString());
                return oneByOne(records, claims, start, to, handler, done);
            }
        }
        return null;
    }

    private <K, V> Failure oneByOne(List<? extends ConsumerRecord<K, V>> records, List<Claimable> claims, int from,
            int to, RecordHandler<K, V> handler, List<DedupResult> done) {
        for (int i = from; i < to; i++) {
            try {
                done.add(processClaimable(records.get(i), claims.get(i), handler));
            } catch (RuntimeException failure) {
                return new Failure(i, failure);
            }
        }
        return null;
    }

    /** Runs a transaction's work with its lock waits and statements bounded by the transaction timeout. */
    private <T> T bounded(Connection connection, Callable<T> work) throws Exception {
        store.limitTime(connection, transactionTimeout);
        T result;
        try {
            result = work.call();
        } catch (Throwable failure) {
            try {
                store.restoreTime(connection);
            } catch (Exception restoreFailure) {
                failure.addSuppressed(restoreFailure);
            }
            throw failure;
        }
        store.restoreTime(connection);
        return result;
    }

    private <K, V> List<DedupResult> batchTransaction(Connection connection, List<? extends ConsumerRecord<K, V>> records,
            List<Claimable> claims, int from, int to, RecordHandler<K, V> handler) throws Exception {
        Map<String, Integer> firstIndex = new HashMap<>((to - from) * 2);
        List<ClaimRequest> requests = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Claimable claim = claims.get(i);
            if (claim.decided() == null && firstIndex.putIfAbsent(claim.key(), i) == null) {
                requests.add(request(records.get(i), claim));
            }
        }
        Map<String, StoredClaim> held = requests.isEmpty() ? Map.of()
                : store.claimAll(connection, consumerName, requests);
        List<DedupResult> results = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Claimable claim = claims.get(i);
            if (claim.decided() != null) {
                results.add(claim.decided());
                continue;
            }
            StoredClaim holder = held.get(claim.key());
            int first = firstIndex.get(claim.key());
            if (holder != null) {
                results.add(compare(claim, holder));
            } else if (first != i) {
                ConsumerRecord<K, V> firstRecord = records.get(first);
                results.add(compare(claim, new StoredClaim(claim.key(), claims.get(first).fingerprint(),
                        results.get(first - from).outcome().name(), firstRecord.topic(), firstRecord.partition(),
                        firstRecord.offset())));
            } else {
                try {
                    results.add(handle(connection, records.get(i), claim.key(), handler));
                } catch (Exception e) {
                    throw new HandlerFailed(i, e);
                }
            }
        }
        return results;
    }

    private <K, V> DedupResult handle(Connection connection, ConsumerRecord<K, V> record, String key,
            RecordHandler<K, V> handler) throws Exception {
        long start = System.nanoTime();
        HandlerResult result;
        try {
            result = handler.handle(record, connection);
        } finally {
            metrics.handler(System.nanoTime() - start);
        }
        if (result == null) {
            throw new IllegalStateException("the handler returned null for " + coordinates(record)
                    + "; return HandlerResult.processed() or HandlerResult.rejected(reason)");
        }
        if (result.isRejected()) {
            store.markRejected(connection, consumerName, key, result.rejection());
            return DedupResult.rejected(key, result.rejection());
        }
        return DedupResult.processed(key);
    }

    private static DedupResult compare(Claimable claim, StoredClaim holder) {
        Outcome firstOutcome = Outcome.valueOf(holder.outcome());
        if (Arrays.equals(claim.fingerprint(), holder.fingerprint())) {
            return new DedupResult(Outcome.DUPLICATE, claim.key(), null, firstOutcome, holder.firstDelivery());
        }
        return new DedupResult(Outcome.CONFLICT, claim.key(), "same dedup key as " + holder.firstDelivery()
                + " but a different payload (fingerprint mismatch); not applied", firstOutcome, holder.firstDelivery());
    }

    /**
     * Decides, without the database, the records whose key and fingerprint the guard remembers: a hit is a verdict,
     * which the {@link DedupGuard} contract makes safe. A guard that throws (it must not) is a miss: the database decides.
     */
    private List<Claimable> consultGuard(List<Claimable> claims) {
        List<String> keys = new ArrayList<>(claims.size());
        for (Claimable claim : claims) {
            if (claim.decided() == null) {
                keys.add(claim.key());
            }
        }
        if (keys.isEmpty()) {
            return claims;
        }
        Map<String, DedupGuard.Remembered> known;
        try {
            known = guard.recall(consumerName, keys);
        } catch (RuntimeException e) {
            log.warn("consumer {}: the DedupGuard {} threw on recall ({}); the database decides", consumerName, guard,
                    e.toString());
            return claims;
        }
        if (known == null || known.isEmpty()) {
            return claims;
        }
        List<Claimable> decided = new ArrayList<>(claims.size());
        for (Claimable claim : claims) {
            DedupGuard.Remembered remembered = claim.decided() == null ? known.get(claim.key()) : null;
            if (remembered != null && Arrays.equals(remembered.fingerprint(), claim.fingerprint())) {
                metrics.guardHit();
                claim = new Claimable(claim.key(), claim.fingerprint(),
                        new DedupResult(Outcome.DUPLICATE, claim.key(), null, remembered.outcome(), null));
            }
            decided.add(claim);
        }
        return decided;
    }

    /** Teaches the guard the keys whose claims are now committed (new ones, and duplicates the database found). */
    private void teachGuard(List<Claimable> claims, List<DedupResult> results) {
        Map<String, DedupGuard.Remembered> committed = new HashMap<>();
        for (int i = 0; i < results.size(); i++) {
            DedupResult result = results.get(i);
            Outcome first = switch (result.outcome()) {
                case PROCESSED, REJECTED -> result.outcome();
                case DUPLICATE -> result.firstDelivery() == null ? null : result.firstOutcome();
                default -> null;
            };
            if (first != null) {
                committed.put(result.dedupKey(), new DedupGuard.Remembered(claims.get(i).fingerprint(), first));
            }
        }
        if (!committed.isEmpty()) {
            try {
                guard.remember(consumerName, committed);
            } catch (RuntimeException e) {
                log.warn("consumer {}: the DedupGuard {} threw on remember ({}); the records are committed all the same",
                        consumerName, guard, e.toString());
            }
        }
    }

    private Claimable prepare(ConsumerRecord<?, ?> record) {
        String key;
        try {
            key = dedupKey.of(record);
        } catch (Exception e) {
            return Claimable.invalid(null, "cannot read the dedup key (" + dedupKey + ") of " + coordinates(record) + ": " + e);
        }
        if (key == null || key.isEmpty()) {
            return Claimable.invalid(null, "no dedup key: " + dedupKey + " is missing in " + coordinates(record));
        }
        String refusal = StoredKey.refusal(key);
        if (refusal != null) {
            return Claimable.invalid(null, "the dedup key (" + dedupKey + ") of " + coordinates(record) + " " + refusal);
        }
        byte[] digest;
        try {
            digest = fingerprint.of(record);
        } catch (Exception e) {
            return Claimable.invalid(key, "cannot fingerprint the payload of " + coordinates(record) + ": " + e);
        }
        if (digest == null) {
            return Claimable.invalid(key, "the fingerprint function returned null for " + coordinates(record));
        }
        return new Claimable(key, digest.length > Fingerprint.MAX_LENGTH ? Fingerprint.sha256(digest) : digest, null);
    }

    private <T> T withTransientRetries(Callable<T> work) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return work.call();
            } catch (Exception e) {
                if (attempt >= transientAttempts || DatabaseErrors.classify(e) != DatabaseErrors.Kind.ROLLED_BACK) {
                    throw e;
                }
                metrics.transientRetry();
                log.debug("consumer {}: transaction rolled back by the database ({}), attempt {} of {}; running it again",
                        consumerName, e, attempt, transientAttempts);
                long ceilingMillis = 5L << Math.min(attempt, 6);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ThreadLocalRandom.current().nextLong(1, ceilingMillis)));
            }
        }
    }

    private RuntimeException translate(Exception e, ConsumerRecord<?, ?> record) {
        Throwable cause = e instanceof HandlerFailed ? e.getCause() : e;
        if (cause instanceof DatabaseUnavailableException || cause instanceof RecordProcessingException) {
            return (RuntimeException) cause;
        }
        return switch (DatabaseErrors.classify(cause)) {
            case UNREACHABLE -> new DatabaseUnavailableException(DatabaseUnavailableException.Reason.UNREACHABLE,
                    "the database is unavailable while processing " + coordinates(record) + " for consumer "
                    + consumerName + "; nothing committed (or the commit is in doubt): retry with backoff, never skip "
                    + "the record", cause);
            case REFUSED -> new DatabaseUnavailableException(DatabaseUnavailableException.Reason.REFUSED,
                    "the database refuses the work of consumer " + consumerName + " whatever the record: "
                    + DatabaseErrors.advice(cause, store.table()) + ". " + coordinates(record) + " rolled back; it is "
                    + "not the record's fault, so retry it with backoff until this is fixed, never dead-letter it or "
                    + "commit past it", cause);
            case TIMED_OUT -> new DatabaseUnavailableException(DatabaseUnavailableException.Reason.TIMED_OUT,
                    coordinates(record) + " of consumer " + consumerName + " waited longer than the transaction "
                    + "timeout (" + transactionTimeout.toMillis() + " ms) for a lock or a statement: another "
                    + "transaction holds its rows. It rolled back; retry it after a backoff (its partition waits, the "
                    + "others go on), never dead-letter it", cause);
            default -> new RecordProcessingException(record.topic(), record.partition(), record.offset(), cause);
        };
    }

    private void count(DedupResult result, ConsumerRecord<?, ?> record) {
        metrics.outcome(result.outcome());
        if (result.outcome() == Outcome.CONFLICT) {
            log.warn("CONFLICT in consumer {}: {} has dedup key '{}' already processed from {} with another payload; "
                    + "not applied", consumerName, coordinates(record), result.dedupKey(), result.firstDelivery());
        } else if (result.outcome() == Outcome.INVALID) {
            log.warn("INVALID record in consumer {}: {}", consumerName, result.reason());
        }
    }

    private static ClaimRequest request(ConsumerRecord<?, ?> record, Claimable claim) {
        return new ClaimRequest(claim.key(), claim.fingerprint(), record.topic(), record.partition(), record.offset());
    }

    private static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    /** A record ready to claim, or its result when that was decided without a claim (no usable key, a guard hit). */
    private record Claimable(String key, byte[] fingerprint, DedupResult decided) {
        static Claimable invalid(String key, String reason) {
            return new Claimable(key, null, DedupResult.invalid(key, reason));
        }
    }

    private record Failure(int index, RuntimeException exception) {
    }

    /** Ends {@link #checkDatabase()}'s transaction by rolling it back: the probe leaves nothing behind. */
    private static final class ProbeDone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProbeDone() {
            super(null, null, false, false);
        }
    }

    /** The handler failed on the record at {@code index} of a batch; the batch transaction rolls back. */
    private static final class HandlerFailed extends Exception {
        private static final long serialVersionUID = 1L;
        private final int index;

        HandlerFailed(int index, Exception cause) {
            super(cause);
            this.index = index;
        }
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
        private String table = DedupStore.DEFAULT_TABLE;
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
                throw new IllegalArgumentException("consumerName: '" + consumerName + "' is not valid; use 1 to "
                        + DedupStore.MAX_CONSUMER_NAME_LENGTH + " letters, digits, '.', '_', '-' or ':', e.g. the Kafka group id");
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

        /** The dedup table; defaults to {@value DedupStore#DEFAULT_TABLE}. Must be an SQL identifier, optionally schema-qualified. */
        public Builder table(String table) {
            this.table = DedupStore.create(table, null).table();
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
                throw new IllegalArgumentException("transientAttempts: " + transientAttempts + " is out of range; use 1 to 100");
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
                throw new IllegalArgumentException("transactionTimeout: " + transactionTimeout + " is out of range; use "
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
