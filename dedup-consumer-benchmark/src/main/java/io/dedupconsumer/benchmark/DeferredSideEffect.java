package io.dedupconsumer.benchmark;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.TransactionRunner;
import java.sql.Connection;
import java.sql.PreparedStatement;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@link SideEffect} written for throughput under {@code Deduplicator.processBatch}: the handler only queues each
 * claimed record's two statements ({@code addBatch}), and the transaction runner sends them ({@code executeBatch})
 * after the last handler and before the commit, so a poll costs a few round trips instead of two per record. Claims
 * and effects still commit or roll back together.
 *
 * <p>What it gives up: the handler cannot see its update counts, so a 0-row conditional update could not be
 * reported as a rejection, and a failing statement fails the whole poll rather than one record. The benchmark's
 * credit of an existing account needs neither.
 */
final class DeferredSideEffect implements RecordHandler<byte[], byte[]> {

    private final ThreadLocal<Pending> pending = new ThreadLocal<>();

    /** Transactions on {@code dataSource} that open the statements the handler queues into and flush them at the end. */
    TransactionRunner transactions(DataSource dataSource) {
        TransactionRunner jdbc = TransactionRunner.jdbc(dataSource);
        return new TransactionRunner() {
            @Override
            public <T> T inTransaction(Work<T> work) throws Exception {
                return jdbc.inTransaction(connection -> {
                    try (PreparedStatement credit = connection.prepareStatement(SideEffect.CREDIT);
                            PreparedStatement append = connection.prepareStatement(SideEffect.APPEND)) {
                        pending.set(new Pending(credit, append));
                        T result = work.execute(connection);
                        credit.executeBatch();
                        append.executeBatch();
                        return result;
                    } finally {
                        pending.remove();
                    }
                });
            }
        };
    }

    @Override
    public HandlerResult handle(ConsumerRecord<byte[], byte[]> record, Connection connection) throws Exception {
        Pending statements = pending.get();
        if (statements == null) {
            throw new IllegalStateException("the deferred side effect runs only inside its own transactions()");
        }
        long account = Event.account(record);
        long amount = Event.amount(record);
        statements.credit().setLong(1, amount);
        statements.credit().setLong(2, account);
        statements.credit().addBatch();
        statements.append().setString(1, Event.id(record));
        statements.append().setLong(2, account);
        statements.append().setLong(3, amount);
        statements.append().addBatch();
        return HandlerResult.processed();
    }

    private record Pending(PreparedStatement credit, PreparedStatement append) {
    }
}
