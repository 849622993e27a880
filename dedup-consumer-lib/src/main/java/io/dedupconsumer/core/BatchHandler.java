package io.dedupconsumer.core;

import java.sql.Connection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * The user's side effect for many records at once, so that it can send its statements as one JDBC batch (one
 * {@code executeBatch}, one round trip) instead of one statement per record: the reason teams write batch listeners.
 * It is called once per transaction, on the claim's connection, with exactly the records whose keys this transaction
 * newly claimed, in batch order: duplicates, conflicts and invalid records were already removed, so nothing it is
 * given has been applied before.
 *
 * <p>If it throws, the transaction rolls back and the deduplicator narrows the failure down: it halves the records
 * and calls the handler again on each half, down to a record alone, so that the records around the failing one are
 * applied once each and only the failing one fails (see {@link Deduplicator#processBatchInOneCall}). A handler must
 * therefore be safe to call again with a subset of what it was given before; it is, whenever its only state is the
 * database, which the rollback restored.
 */
@FunctionalInterface
public interface BatchHandler<K, V> {

    /**
     * Applies the records' effects. Must not commit, roll back or close the connection.
     *
     * @param records the newly claimed records, in batch order; never empty
     * @return one result per record, in the same order; or {@code null} or an empty list when every record was
     *     processed
     * @throws Exception to roll back; the deduplicator then finds the record it fails on
     */
    @Nullable List<HandlerResult> handle(List<ConsumerRecord<K, V>> records, Connection connection) throws Exception;
}
