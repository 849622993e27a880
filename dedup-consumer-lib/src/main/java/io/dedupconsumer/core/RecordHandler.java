package io.dedupconsumer.core;

import java.sql.Connection;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The user's side effect for one record, run only when the record's key was claimed, on the same connection and in
 * the same transaction as the claim. Write through {@code connection} (or, under Spring, any {@code JdbcTemplate}
 * on the same DataSource): if the handler throws, claim and effects roll back together and the record is retried.
 *
 * <p>Business state should move only with conditional statements ({@code UPDATE ... WHERE status = ?},
 * {@code UPDATE ... WHERE available >= ?}); a 0-row update is a business result, reported with
 * {@link HandlerResult#rejected(String)}, not an error to retry forever.
 */
@FunctionalInterface
public interface RecordHandler<K, V> {

    /**
     * Applies the record's effect. Must not commit, roll back or close the connection.
     *
     * @return {@link HandlerResult#processed()} or {@link HandlerResult#rejected(String)}
     * @throws Exception to roll back and have the record retried (or dead-lettered after the last attempt)
     */
    HandlerResult handle(ConsumerRecord<K, V> record, Connection connection) throws Exception;
}
