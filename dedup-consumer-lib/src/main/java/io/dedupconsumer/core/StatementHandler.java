package io.dedupconsumer.core;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The user's side effect for one record, written as the statements it issues instead of as code that runs them, so
 * that the library can send the statements of a whole poll as JDBC batches (one round trip per statement shape
 * instead of one per statement) while the handler stays as simple as a {@link RecordHandler}:
 *
 * <pre>{@code
 * StatementHandler<String, StockEvent> reserve = (record, statements) -> {
 *     StockEvent event = record.value();
 *     statements.update("UPDATE stock SET available = available - ? WHERE sku = ? AND available >= ?",
 *             event.quantity(), event.sku(), event.quantity())
 *         .orReject("out of stock: " + event.sku());
 *     statements.update("INSERT INTO stock_ledger (event_id, sku, quantity) VALUES (?, ?, ?)",
 *             event.id(), event.sku(), -event.quantity());
 * };
 * runner.batchHandler(BatchedStatements.of(reserve));
 * }</pre>
 *
 * <p>The conditional update still decides between {@code PROCESSED} and {@code REJECTED}: its row count comes back
 * from the batch to the record that issued it, and a record whose update matched no row has none of its later
 * statements run. See {@link BatchedStatements} for the order statements run in, and what a handler that must read
 * its own writes uses instead.
 */
@FunctionalInterface
public interface StatementHandler<K, V> {

    /**
     * Declares the record's statements; nothing is executed during the call. Throwing rolls back the transaction and
     * fails the record as a throwing {@link RecordHandler} would (retried, then dead-lettered).
     */
    void handle(ConsumerRecord<K, V> record, RecordStatements statements) throws Exception;
}
