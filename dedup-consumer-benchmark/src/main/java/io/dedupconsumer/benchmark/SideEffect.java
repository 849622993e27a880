package io.dedupconsumer.benchmark;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordStatements;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The one side effect every scenario applies, written as a user would: credit the account
 * ({@code UPDATE account SET balance = balance + ?}) and append a ledger row. The same {@link RecordHandler}
 * runs without and with deduplication, so the difference between scenarios is the dedup protocol alone.
 */
final class SideEffect implements RecordHandler<byte[], byte[]> {

    static final String CREDIT = "UPDATE account SET balance = balance + ? WHERE id = ?";
    static final String APPEND = "INSERT INTO ledger (event_id, account_id, amount) VALUES (?, ?, ?)";

    @Override
    public HandlerResult handle(ConsumerRecord<byte[], byte[]> record, Connection connection) throws SQLException {
        long account = Event.account(record);
        long amount = Event.amount(record);
        try (PreparedStatement credit = connection.prepareStatement(CREDIT)) {
            credit.setLong(1, amount);
            credit.setLong(2, account);
            if (credit.executeUpdate() != 1) {
                return HandlerResult.rejected("no account " + account);
            }
        }
        try (PreparedStatement append = connection.prepareStatement(APPEND)) {
            append.setString(1, Event.id(record));
            append.setLong(2, account);
            append.setLong(3, amount);
            append.executeUpdate();
        }
        return HandlerResult.processed();
    }

    /**
     * The same effect declared for the library's fast path ({@code BatchedStatements}): the same two statements, the
     * credit's row count still deciding the outcome.
     */
    static void declare(ConsumerRecord<byte[], byte[]> record, RecordStatements statements) {
        long account = Event.account(record);
        long amount = Event.amount(record);
        statements.update(CREDIT, amount, account).orReject("no account " + account);
        statements.update(APPEND, Event.id(record), account, amount);
    }

    /**
     * The same effect for a whole poll with JDBC batching ({@code addBatch}/{@code executeBatch}): what an unsafe
     * consumer can do that a per-record handler cannot, and the case {@code rewriteBatchedStatements} is about.
     */
    static void applyBatched(List<ConsumerRecord<byte[], byte[]>> records, Connection connection) throws SQLException {
        try (PreparedStatement credit = connection.prepareStatement(CREDIT);
                PreparedStatement append = connection.prepareStatement(APPEND)) {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                long account = Event.account(record);
                long amount = Event.amount(record);
                credit.setLong(1, amount);
                credit.setLong(2, account);
                credit.addBatch();
                append.setString(1, Event.id(record));
                append.setLong(2, account);
                append.setLong(3, amount);
                append.addBatch();
            }
            credit.executeBatch();
            append.executeBatch();
        }
    }
}
