package io.dedupconsumer.core;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library's JDBC fast path: a {@link BatchHandler} that runs a per-record {@link StatementHandler} for every
 * newly claimed record of the transaction and sends the statements they declared as JDBC batches, on the claim's
 * connection, before the commit. A per-record handler thus gets batch speed (one round trip per statement shape
 * and poll) without any JDBC batching in user code, and keeps the failure isolation of
 * {@link Deduplicator#processBatchInOneCall}: a statement that fails fails its record alone.
 *
 * <p>Statements run in rounds: every record's first statement, in record order, then the second statement of every
 * record still running, and so on; consecutive statements of a round with the same SQL go in one batch. That is the
 * order a loop over the records would give for each statement shape, so records that decrement the same stock row see
 * each other's decrements in record order. It is not that loop's order across shapes: a statement must not depend on
 * a <em>later</em> statement of an earlier record. A record whose {@linkplain RecordStatements.Statement#orReject
 * conditional statement} changed no row is {@code REJECTED} and runs no later statement.
 *
 * <p>A handler that must read its own writes (or an earlier record's) cannot declare its statements up front: use a
 * {@link RecordHandler} with {@link Deduplicator#processBatch} or a {@link BatchHandler} of your own; BENCHMARKS.md
 * shows what that costs.
 *
 * <p>When the driver's batches report no row count ({@link Statement#SUCCESS_NO_INFO}: MariaDB Connector/J with
 * {@code useBulkStmts=true}, for example) for a statement whose count decides the outcome, the transaction is rolled
 * back and redone, and from then on such statements are sent one at a time (logged once): the outcome is never
 * guessed. Unconditional statements stay batched whatever the driver reports for them, so Connector/J's
 * {@code rewriteBatchedStatements=true} and pgjdbc's {@code reWriteBatchedInserts=true} keep their speed-up for
 * inserts. Thread-safe.
 */
public final class BatchedStatements<K, V> implements BatchHandler<K, V> {

    private static final Logger log = LoggerFactory.getLogger(BatchedStatements.class);

    private final StatementHandler<K, V> handler;
    /** Set once the driver hid the row count of a conditional statement in a batch. */
    private volatile boolean conditionsOneByOne;

    private BatchedStatements(StatementHandler<K, V> handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** The batch handler that sends what {@code handler} declares for each record as JDBC batches. */
    public static <K, V> BatchedStatements<K, V> of(StatementHandler<K, V> handler) {
        return new BatchedStatements<>(handler);
    }

    @Override
    public List<HandlerResult> handle(List<ConsumerRecord<K, V>> records, Connection connection) throws Exception {
        List<RecordStatements> declared = new ArrayList<>(records.size());
        // A record's result: null while its statements still run.
        @Nullable HandlerResult[] results = new HandlerResult[records.size()];
        int rounds = 0;
        for (int i = 0; i < records.size(); i++) {
            RecordStatements statements = new RecordStatements();
            try {
                handler.handle(records.get(i), statements);
            } finally {
                statements.close();
            }
            declared.add(statements);
            results[i] = statements.rejection();
            if (results[i] == null) {
                rounds = Math.max(rounds, statements.declared().size());
            }
        }
        Map<String, PreparedStatement> prepared = new HashMap<>();
        try {
            for (int round = 0; round < rounds; round++) {
                runRound(round, declared, results, connection, prepared);
            }
        } finally {
            // A statement that does not close leaves a broken connection, which the commit reports.
            for (PreparedStatement statement : prepared.values()) {
                try {
                    statement.close();
                } catch (SQLException e) {
                    log.debug("Could not close a batched statement", e);
                }
            }
        }
        List<HandlerResult> done = new ArrayList<>(results.length);
        for (HandlerResult result : results) {
            done.add(result == null ? HandlerResult.processed() : result);
        }
        return done;
    }

    private void runRound(int round, List<RecordStatements> declared, @Nullable HandlerResult[] results,
            Connection connection, Map<String, PreparedStatement> prepared) throws SQLException {
        List<Integer> owners = new ArrayList<>();
        List<RecordStatements.Statement> batch = new ArrayList<>();
        for (int i = 0; i < declared.size(); i++) {
            List<RecordStatements.Statement> statements = declared.get(i).declared();
            if (results[i] != null || statements.size() <= round) {
                continue;
            }
            RecordStatements.Statement statement = statements.get(round);
            if (!batch.isEmpty() && !batch.get(0).sql().equals(statement.sql())) {
                send(batch, owners, results, connection, prepared);
            }
            batch.add(statement);
            owners.add(i);
        }
        if (!batch.isEmpty()) {
            send(batch, owners, results, connection, prepared);
        }
    }

    /** Sends statements of one SQL and hands each conditional one's row count to its record; empties the lists. */
    private void send(List<RecordStatements.Statement> batch, List<Integer> owners, @Nullable HandlerResult[] results,
            Connection connection, Map<String, PreparedStatement> prepared) throws SQLException {
        String sql = batch.get(0).sql();
        PreparedStatement statement = prepared.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            prepared.put(sql, statement);
        }
        int[] counts = execute(statement, batch);
        if (counts.length != batch.size()) {
            throw new IllegalStateException("the JDBC driver reported " + counts.length + " row counts for a batch of "
                    + batch.size() + " statements (" + sql + "); the transaction is rolled back");
        }
        for (int j = 0; j < batch.size(); j++) {
            HandlerResult ifNoRow = batch.get(j).ifNoRow();
            if (ifNoRow == null) {
                continue;
            }
            if (counts[j] < 0 && counts[j] != Statement.SUCCESS_NO_INFO) {
                throw new IllegalStateException("the JDBC driver reported row count " + counts[j] + " for a batched "
                        + "conditional statement (" + sql + "), so whether it matched is unknown; the transaction is "
                        + "rolled back");
            }
            if (counts[j] == Statement.SUCCESS_NO_INFO) {
                conditionsOneByOne = true;
                log.warn("The JDBC driver reported no row count for batched statements whose row count decides a "
                        + "record's outcome ({}); from now on they are sent one at a time. To keep them batched, turn "
                        + "off the driver option that hides batch row counts (MariaDB Connector/J: useBulkStmts=false)",
                        sql);
                throw new IllegalStateException("the JDBC driver reported no row count for a batched conditional "
                        + "statement (" + sql + "), so whether it matched is unknown; the transaction is rolled back "
                        + "and redone with such statements sent one at a time");
            }
            if (counts[j] == 0) {
                results[owners.get(j)] = ifNoRow;
            }
        }
        batch.clear();
        owners.clear();
    }

    private int[] execute(PreparedStatement statement, List<RecordStatements.Statement> batch) throws SQLException {
        if (batch.size() == 1 || (conditionsOneByOne && batch.stream().anyMatch(s -> s.ifNoRow() != null))) {
            int[] counts = new int[batch.size()];
            for (int j = 0; j < batch.size(); j++) {
                bind(statement, batch.get(j));
                counts[j] = statement.executeUpdate();
            }
            return counts;
        }
        for (RecordStatements.Statement queued : batch) {
            bind(statement, queued);
            statement.addBatch();
        }
        return statement.executeBatch();
    }

    private static void bind(PreparedStatement statement, RecordStatements.Statement queued) throws SQLException {
        @Nullable Object[] parameters = queued.parameters();
        for (int p = 0; p < parameters.length; p++) {
            statement.setObject(p + 1, parameters[p]);
        }
    }

    @Override
    public String toString() {
        return "BatchedStatements[" + handler + "]";
    }
}
