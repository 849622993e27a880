package io.dedupconsumer.core;

import java.sql.Connection;
import java.sql.SQLException;
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
    <K, V> DedupResult one(ConsumerRecord<K, V> record, Claimable claim, Handling<K, V> handling) {
        if (claim.decided() != null) {
            return claim.decided();
        }
        long start = System.nanoTime();
        try {
            DedupResult result = withTransientRetries(() -> transactions.inTransaction(connection -> bounded(connection, () -> {
                Optional<StoredClaim> holder = store.claim(connection, consumerName, claim.request(record));
                return holder.isPresent() ? compare(claim, holder.get()) : handleOne(connection, record, claim.key(), handling);
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
     * copy of a key within the range compared with its first, the handling run for the new keys.
     *
     * @throws HandlerFailed when the handling failed: the whole transaction rolled back
     * @throws ConcurrentClaimException when a concurrent claimant won a key: the transaction rolled back
     * @throws Exception whatever else failed the transaction, untranslated: the caller decides whether it is one record's
     */
    <K, V> List<DedupResult> batch(List<? extends ConsumerRecord<K, V>> records, List<Claimable> claims, int from,
            int to, Handling<K, V> handling) throws Exception {
        long began = System.nanoTime();
        List<DedupResult> results = withTransientRetries(() -> transactions.inTransaction(connection -> bounded(connection,
                () -> batchTransaction(connection, records, claims, from, to, handling))));
        metrics.transaction(true, System.nanoTime() - began);
        return results;
    }

    private <K, V> List<DedupResult> batchTransaction(Connection connection, List<? extends ConsumerRecord<K, V>> records,
            List<Claimable> claims, int from, int to, Handling<K, V> handling) throws Exception {
        Map<String, Integer> firstIndex = new HashMap<>((to - from) * 2);
        List<ClaimRequest> requests = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Claimable claim = claims.get(i);
            if (claim.decided() == null && firstIndex.putIfAbsent(claim.key(), i) == null) {
                requests.add(claim.request(records.get(i)));
            }
        }
        Map<String, StoredClaim> held = requests.isEmpty() ? Map.of() : store.claimAll(connection, consumerName, requests);
        // First what the table decides, then the handling of the new keys, then the copies of a new key in the range,
        // which are compared with what became of their first.
        DedupResult[] results = new DedupResult[to - from];
        List<Integer> fresh = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Claimable claim = claims.get(i);
            if (claim.decided() != null) {
                results[i - from] = claim.decided();
            } else if (held.containsKey(claim.key())) {
                results[i - from] = compare(claim, held.get(claim.key()));
            } else if (firstIndex.get(claim.key()) == i) {
                fresh.add(i);
            }
        }
        handleFresh(connection, records, claims, fresh, handling, results, from);
        for (int i = from; i < to; i++) {
            if (results[i - from] == null) {
                Claimable claim = claims.get(i);
                int first = firstIndex.get(claim.key());
                ConsumerRecord<K, V> firstRecord = records.get(first);
                results[i - from] = compare(claim, new StoredClaim(claim.key(), claims.get(first).fingerprint(),
                        results[first - from].outcome(), firstRecord.topic(), firstRecord.partition(),
                        firstRecord.offset()));
            }
        }
        return Arrays.asList(results);
    }

    /** Runs the handling for the newly claimed records at {@code fresh} and puts their results in place. */
    private <K, V> void handleFresh(Connection connection, List<? extends ConsumerRecord<K, V>> records,
            List<Claimable> claims, List<Integer> fresh, Handling<K, V> handling, DedupResult[] results, int from)
            throws HandlerFailed, SQLException {
        if (fresh.isEmpty()) {
            return;
        }
        if (handling instanceof Handling.PerRecord<K, V> perRecord) {
            for (int i : fresh) {
                try {
                    results[i - from] = handleOne(connection, records.get(i), claims.get(i).key(), perRecord);
                } catch (Exception e) {
                    throw new HandlerFailed(i, e);
                }
            }
            return;
        }
        Handling.AllAtOnce<K, V> allAtOnce = (Handling.AllAtOnce<K, V>) handling;
        List<ConsumerRecord<K, V>> batch = new ArrayList<>(fresh.size());
        for (int i : fresh) {
            batch.add(records.get(i));
        }
        List<HandlerResult> handled;
        long start = System.nanoTime();
        try {
            handled = allAtOnce.handle(batch, connection);
        } catch (Exception e) {
            // With one new record the failure is that record's; with more, it names none of them yet.
            throw new HandlerFailed(fresh.size() == 1 ? fresh.get(0) : HandlerFailed.SOME_RECORD, e);
        } finally {
            metrics.handler(System.nanoTime() - start);
        }
        for (int n = 0; n < fresh.size(); n++) {
            int i = fresh.get(n);
            results[i - from] = recorded(connection, claims.get(i).key(), handled.get(n));
        }
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

    private <K, V> DedupResult handleOne(Connection connection, ConsumerRecord<K, V> record, String key,
            Handling<K, V> handling) throws Exception {
        long start = System.nanoTime();
        HandlerResult result;
        try {
            result = handling instanceof Handling.PerRecord<K, V> perRecord
                    ? perRecord.handler().handle(record, connection)
                    : ((Handling.AllAtOnce<K, V>) handling).handle(List.of(record), connection).get(0);
        } finally {
            metrics.handler(System.nanoTime() - start);
        }
        if (result == null) {
            throw new IllegalStateException("the handler returned null for " + Claimable.coordinates(record)
                    + "; return HandlerResult.processed() or HandlerResult.rejected(reason)");
        }
        return recorded(connection, key, result);
    }

    /** The handler's result for a newly claimed key, a rejection recorded with the claim. */
    private DedupResult recorded(Connection connection, String key, HandlerResult result) throws SQLException {
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

    /**
     * The handling failed on the record at {@code index} of a batch, or on {@link #SOME_RECORD} of several given to a
     * {@link BatchHandler} at once; the batch transaction rolls back.
     */
    static final class HandlerFailed extends Exception {
        static final int SOME_RECORD = -1;
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
