package io.dedupconsumer.core;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol's one transaction: claim the key (or a batch's keys) and run the handler on the same connection only
 * where the claim is new, bounded in time, run again after a deadlock, and translated on failure into what the caller
 * must do next: {@link DatabaseUnavailableException} (not the record's fault: retry, never dead-letter) or
 * {@link RecordProcessingException} (the record's).
 */
final class ClaimTransactions {

    private static final Logger log = LoggerFactory.getLogger(ClaimTransactions.class);

    private final String consumerName;
    private final ClaimStore store;
    private final TransactionRunner transactions;
    private final int transientAttempts;
    private final DedupMetrics metrics;
    private final Duration timeout;

    ClaimTransactions(String consumerName, ClaimStore store, TransactionRunner transactions, int transientAttempts,
            DedupMetrics metrics, Duration timeout) {
        this.consumerName = consumerName;
        this.store = store;
        this.transactions = transactions;
        this.transientAttempts = transientAttempts;
        this.metrics = metrics;
        this.timeout = timeout;
    }

    /** These transactions with another time bound; everything else shared. */
    ClaimTransactions withTimeout(Duration timeout) {
        return new ClaimTransactions(consumerName, store, transactions, transientAttempts, metrics, timeout);
    }

    Duration timeout() {
        return timeout;
    }

    String table() {
        return store.table();
    }

    /**
     * One record in its own transaction (or its result, if decided before any claim).
     *
     * @throws DatabaseUnavailableException or {@link RecordProcessingException}, counted; the transaction rolled back
     */
    <K, V> DedupResult one(ConsumerRecord<K, V> record, Claimable claim, RecordHandler<K, V> handler) {
        if (claim.decided() != null) {
            return claim.decided();
        }
        long start = System.nanoTime();
        try {
            DedupResult result = withTransientRetries(() -> transactions.inTransaction(connection -> bounded(connection, () -> {
                Optional<StoredClaim> holder = store.claim(connection, consumerName, claim.request(record));
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

    /**
     * Records {@code from} (inclusive) to {@code to} (exclusive) in one transaction: their keys claimed together, each
     * copy of a key within the range compared with its first, the handler run for each new key.
     *
     * @throws HandlerFailed when the handler failed on one record: the whole transaction rolled back
     * @throws ConcurrentClaimException when a concurrent claimant won a key: the transaction rolled back
     * @throws Exception whatever else failed the transaction, untranslated: the caller decides whether it is one record's
     */
    <K, V> List<DedupResult> batch(List<? extends ConsumerRecord<K, V>> records, List<Claimable> claims, int from,
            int to, RecordHandler<K, V> handler) throws Exception {
        long began = System.nanoTime();
        List<DedupResult> results = withTransientRetries(() -> transactions.inTransaction(connection -> bounded(connection,
                () -> batchTransaction(connection, records, claims, from, to, handler))));
        metrics.transaction(true, System.nanoTime() - began);
        return results;
    }

    private <K, V> List<DedupResult> batchTransaction(Connection connection, List<? extends ConsumerRecord<K, V>> records,
            List<Claimable> claims, int from, int to, RecordHandler<K, V> handler) throws Exception {
        Map<String, Integer> firstIndex = new HashMap<>((to - from) * 2);
        List<ClaimRequest> requests = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Claimable claim = claims.get(i);
            if (claim.decided() == null && firstIndex.putIfAbsent(claim.key(), i) == null) {
                requests.add(claim.request(records.get(i)));
            }
        }
        Map<String, StoredClaim> held = requests.isEmpty() ? Map.of() : store.claimAll(connection, consumerName, requests);
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
                        results.get(first - from).outcome(), firstRecord.topic(), firstRecord.partition(),
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

    /**
     * The start-up probe ({@link ClaimStore#probe}) in a transaction it rolls back.
     *
     * @throws IllegalStateException when the database refuses, saying what to fix
     * @throws DatabaseUnavailableException when the database cannot be reached now
     */
    void checkDatabase() {
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
            throw new IllegalStateException("the handler returned null for " + Claimable.coordinates(record)
                    + "; return HandlerResult.processed() or HandlerResult.rejected(reason)");
        }
        if (result.isRejected()) {
            store.markRejected(connection, consumerName, key, result.rejection());
            return DedupResult.rejected(key, result.rejection());
        }
        return DedupResult.processed(key);
    }

    private static DedupResult compare(Claimable claim, StoredClaim holder) {
        if (Arrays.equals(claim.fingerprint(), holder.fingerprint())) {
            return new DedupResult(Outcome.DUPLICATE, claim.key(), null, holder.outcome(), holder.firstDelivery());
        }
        return new DedupResult(Outcome.CONFLICT, claim.key(), "same dedup key as " + holder.firstDelivery()
                + " but a different payload (fingerprint mismatch); not applied", holder.outcome(), holder.firstDelivery());
    }

    /** Runs a transaction's work with its lock waits and statements bounded by the transaction timeout. */
    private <T> T bounded(Connection connection, Callable<T> work) throws Exception {
        store.limitTime(connection, timeout);
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

    /** What a failed transaction of {@code record} means for its caller; the handler's own exception unwrapped. */
    RuntimeException translate(Exception e, ConsumerRecord<?, ?> record) {
        Throwable cause = e instanceof HandlerFailed ? e.getCause() : e;
        if (cause instanceof DatabaseUnavailableException || cause instanceof RecordProcessingException) {
            return (RuntimeException) cause;
        }
        String coordinates = Claimable.coordinates(record);
        return switch (DatabaseErrors.classify(cause)) {
            case UNREACHABLE -> new DatabaseUnavailableException(DatabaseUnavailableException.Reason.UNREACHABLE,
                    "the database is unavailable while processing " + coordinates + " for consumer "
                    + consumerName + "; nothing committed (or the commit is in doubt): retry with backoff, never skip "
                    + "the record", cause);
            case REFUSED -> new DatabaseUnavailableException(DatabaseUnavailableException.Reason.REFUSED,
                    "the database refuses the work of consumer " + consumerName + " whatever the record: "
                    + DatabaseErrors.advice(cause, store.table()) + ". " + coordinates + " rolled back; it is "
                    + "not the record's fault, so retry it with backoff until this is fixed, never dead-letter it or "
                    + "commit past it", cause);
            case TIMED_OUT -> new DatabaseUnavailableException(DatabaseUnavailableException.Reason.TIMED_OUT,
                    coordinates + " of consumer " + consumerName + " waited longer than the transaction "
                    + "timeout (" + timeout.toMillis() + " ms) for a lock or a statement: another "
                    + "transaction holds its rows. It rolled back; retry it after a backoff (its partition waits, the "
                    + "others go on), never dead-letter it", cause);
            default -> new RecordProcessingException(record.topic(), record.partition(), record.offset(), cause);
        };
    }

    /** The handler failed on the record at {@code index} of a batch; the batch transaction rolls back. */
    static final class HandlerFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final int index;

        HandlerFailed(int index, Exception cause) {
            super(cause);
            this.index = index;
        }
    }

    /** Ends {@link #checkDatabase()}'s transaction by rolling it back: the probe leaves nothing behind. */
    private static final class ProbeDone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProbeDone() {
            super(null, null, false, false);
        }
    }
}
