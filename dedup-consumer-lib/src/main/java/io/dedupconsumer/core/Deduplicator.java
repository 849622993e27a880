package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.ClaimRequest;
import io.dedupconsumer.jdbc.ConcurrentClaimException;
import io.dedupconsumer.jdbc.DedupStore;
import io.dedupconsumer.jdbc.Dialect;
import io.dedupconsumer.jdbc.StoredClaim;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.sql.Connection;
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
 * <p>Deadlocks, serialization failures and lock wait timeouts are retried here; an unreachable database surfaces as
 * {@link DatabaseUnavailableException}, any other failure as {@link RecordProcessingException}. Thread-safe: one
 * instance serves every consumer thread of an application.
 */
public final class Deduplicator {

    private static final Logger log = LoggerFactory.getLogger(Deduplicator.class);
    private static final Pattern CONSUMER_NAME = Pattern.compile("[A-Za-z0-9._:\\-]{1," + DedupStore.MAX_CONSUMER_NAME_LENGTH + "}");

    private final String consumerName;
    private final DedupKey dedupKey;
    private final Fingerprint fingerprint;
    private final DedupStore store;
    private final TransactionRunner transactions;
    private final int transientAttempts;
    private final DedupMetrics metrics;
    private final DedupGuard guard;

    private Deduplicator(Builder b) {
        this.consumerName = b.consumerName;
        this.dedupKey = b.dedupKey;
        this.fingerprint = b.fingerprint;
        this.store = DedupStore.create(b.table, b.dialect);
        this.transactions = b.transactionRunner != null ? b.transactionRunner : TransactionRunner.jdbc(b.dataSource);
        this.transientAttempts = b.transientAttempts;
        this.metrics = new DedupMetrics(b.meterRegistry, consumerName);
        this.guard = b.guard;
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
            DedupResult result = withTransientRetries(() -> transactions.inTransaction(connection -> {
                Optional<StoredClaim> holder = store.claim(connection, consumerName, request(record, claim));
                return holder.isPresent() ? compare(claim, holder.get()) : handle(connection, record, claim.key(), handler);
            }));
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
                done.addAll(withTransientRetries(() -> transactions.inTransaction(
                        connection -> batchTransaction(connection, records, claims, first, to, handler))));
                metrics.transaction(true, System.nanoTime() - began);
                return null;
            } catch (HandlerFailed e) {
                // The batch transaction failed and rolled back: a failure, whatever the record does on its own next.
                metrics.failure(translate(e, records.get(e.index)));
                // Commit what came before the failing record, then give the failing record a transaction of its own.
                if (e.index > start) {
                    Failure before = processRange(records, claims, start, e.index, handler, done);
                    if (before != null) {
                        return before;
                    }
                }
                try {
                    done.add(processClaimable(records.get(e.index), claims.get(e.index), handler));
                } catch (RuntimeException alone) {
                    return new Failure(e.index, alone);
                }
                start = e.index + 1;
            } catch (ConcurrentClaimException e) {
                log.debug("consumer {}: a concurrent claimant won a key of the batch; claiming record by record", consumerName);
                for (int i = start; i < to; i++) {
                    try {
                        done.add(processClaimable(records.get(i), claims.get(i), handler));
                    } catch (RuntimeException failure) {
                        return new Failure(i, failure);
                    }
                }
                return null;
            } catch (Exception e) {
                RuntimeException failure = translate(e, records.get(start));
                metrics.failure(failure);
                return new Failure(start, failure);
            }
        }
        return null;
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
                if (attempt >= transientAttempts || !DatabaseErrors.isTransient(e) || DatabaseErrors.isUnavailable(e)) {
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
        if (DatabaseErrors.isUnavailable(cause)) {
            return new DatabaseUnavailableException("the database is unavailable while processing " + coordinates(record)
                    + " for consumer " + consumerName + "; nothing committed (or the commit is in doubt): retry with "
                    + "backoff, never skip the record", cause);
        }
        return new RecordProcessingException(record.topic(), record.partition(), record.offset(), cause);
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

        /** How often a transaction runs after a deadlock or lock wait timeout before it fails; defaults to 5. */
        public Builder transientAttempts(int transientAttempts) {
            if (transientAttempts < 1 || transientAttempts > 100) {
                throw new IllegalArgumentException("transientAttempts: " + transientAttempts + " is out of range; use 1 to 100");
            }
            this.transientAttempts = transientAttempts;
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
