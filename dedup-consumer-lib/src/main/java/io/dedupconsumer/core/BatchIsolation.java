package io.dedupconsumer.core;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A poll batch in as few transactions as its failures allow. The whole batch is one transaction when nothing fails:
 * the throughput path. When that transaction fails, every record in it rolled back, including records that were
 * fine, so the batch is redone around the failure rather than given up:
 * <ul>
 *   <li>a {@link BatchHandler} given several new records failed: the range is halved and each half redone the same
 *       way, so that the failing record ends up alone (about 2 log2(n) transactions for one culprit among n), and the
 *       records around it are applied once each;</li>
 *   <li>the handler failed on one record ({@link ClaimTransactions.HandlerFailed} carries its index): the records
 *       before it commit in one transaction, the failing record gets a transaction of its own (a second chance,
 *       alone), and if it fails again the batch stops there with its failure; otherwise the rest of the batch goes on
 *       the same way. A record is never given another record's failure;</li>
 *   <li>a concurrent claimant won one of the keys, or a statement for many records failed, or one record waited too
 *       long for a locked row: only record-by-record transactions tell which record it was, so the rest of the batch
 *       is claimed one by one;</li>
 *   <li>the database is unavailable (not the record's fault): the batch stops at once, every record waits for the
 *       same retry.</li>
 * </ul>
 * The caller commits offsets only up to the first record that did not complete.
 */
final class BatchIsolation {

    private static final Logger log = LoggerFactory.getLogger(BatchIsolation.class);

    private final ClaimTransactions transactions;
    private final DedupMetrics metrics;
    private final String consumerName;

    BatchIsolation(ClaimTransactions transactions, DedupMetrics metrics, String consumerName) {
        this.transactions = transactions;
        this.metrics = metrics;
        this.consumerName = consumerName;
    }

    /** The failure that stopped a batch at the record at {@code index}. */
    record Failure(int index, RuntimeException exception) {
    }

    /**
     * Processes records {@code from} to {@code to} (exclusive), adding each completed record's result to {@code done}
     * in order.
     *
     * @return the failure that stopped it, or {@code null} when every record completed
     */
    <K, V> @Nullable Failure process(List<? extends ConsumerRecord<K, V>> records, List<Claimable> claims, int from,
            int to, Handling<K, V> handling, List<DedupResult> done) {
        int start = from;
        while (start < to) {
            try {
                done.addAll(transactions.batch(records, claims, start, to, handling));
                return null;
            } catch (ClaimTransactions.HandlerFailed e) {
                // The batch transaction failed and rolled back: a failure, whatever the record does on its own next.
                RuntimeException failure = transactions.translate(e,
                        records.get(e.index == ClaimTransactions.HandlerFailed.SOME_RECORD ? start : e.index));
                metrics.failure(failure);
                if (e.index == ClaimTransactions.HandlerFailed.SOME_RECORD) {
                    if (failure instanceof DatabaseUnavailableException) {
                        // Not a record's fault, or a lock wait that timed out: halving would wait the transaction
                        // timeout once per level (log2 of the batch) and outlast max.poll.interval.ms, which
                        // forPollInterval leaves room for only two timeouts in. The caller retries from here.
                        return new Failure(start, failure);
                    }
                    // A batch handler failed on one of several new records: halve until the failing one is alone.
                    int middle = start + (to - start) / 2;
                    Failure left = process(records, claims, start, middle, handling, done);
                    return left != null ? left : process(records, claims, middle, to, handling, done);
                }
                if (e.index > start) {
                    Failure before = process(records, claims, start, e.index, handling, done);
                    if (before != null) {
                        return before;
                    }
                }
                if (failure instanceof DatabaseUnavailableException) {
                    return new Failure(e.index, failure); // not the record's: alone, it would meet the same wall now
                }
                try {
                    done.add(transactions.one(records.get(e.index), claims.get(e.index), handling));
                } catch (RuntimeException alone) {
                    return new Failure(e.index, alone);
                }
                start = e.index + 1;
            } catch (ConcurrentClaimException e) {
                log.debug("consumer {}: a concurrent claimant won a key of the batch; claiming record by record", consumerName);
                return oneByOne(records, claims, start, to, handling, done);
            } catch (Exception e) {
                RuntimeException failure = transactions.translate(e, records.get(start));
                metrics.failure(failure);
                if (failure instanceof DatabaseUnavailableException unavailable
                        && unavailable.reason() != DatabaseUnavailableException.Reason.TIMED_OUT) {
                    return new Failure(start, failure); // the same for every record: nothing to isolate
                }
                log.debug("consumer {}: the batch transaction failed ({}); processing record by record to find the "
                        + "record it failed on", consumerName, e.toString());
                return oneByOne(records, claims, start, to, handling, done);
            }
        }
        return null;
    }

    private <K, V> @Nullable Failure oneByOne(List<? extends ConsumerRecord<K, V>> records, List<Claimable> claims,
            int from, int to, Handling<K, V> handling, List<DedupResult> done) {
        for (int i = from; i < to; i++) {
            try {
                done.add(transactions.one(records.get(i), claims.get(i), handling));
            } catch (RuntimeException failure) {
                return new Failure(i, failure);
            }
        }
        return null;
    }
}
