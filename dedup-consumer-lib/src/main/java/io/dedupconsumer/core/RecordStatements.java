package io.dedupconsumer.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The statements one record's {@link StatementHandler} declared, in order, kept until {@link BatchedStatements}
 * sends them. Valid only during the handler's call: it refuses statements declared after the call returned, which
 * would otherwise be lost.
 */
public final class RecordStatements {

    private final List<Statement> statements = new ArrayList<>(4);
    private @Nullable HandlerResult rejection;
    private boolean open = true;

    RecordStatements() {
    }

    /**
     * Queues an {@code INSERT}, {@code UPDATE} or {@code DELETE} with its parameters (set with
     * {@code PreparedStatement.setObject}, in order).
     *
     * @return the queued statement, to say what its row count means
     */
    public Statement update(String sql, @Nullable Object... parameters) {
        if (!open) {
            throw new IllegalStateException("statements can only be declared during the StatementHandler's call; "
                    + "declare every statement of the record before the handler returns");
        }
        Statement statement = new Statement(Objects.requireNonNull(sql, "sql"),
                parameters == null ? new Object[] {null} : parameters.clone());
        statements.add(statement);
        return statement;
    }

    /**
     * Rejects the record for a reason found without the database (an invalid quantity, say): none of its statements
     * runs and it is recorded as {@code REJECTED}, as a {@link RecordHandler} returning
     * {@link HandlerResult#rejected(String)} would be.
     */
    public void reject(String reason) {
        rejection = HandlerResult.rejected(reason);
    }

    List<Statement> declared() {
        return statements;
    }

    @Nullable HandlerResult rejection() {
        return rejection;
    }

    void close() {
        open = false;
    }

    /** One queued statement of a record. */
    public static final class Statement {

        private final String sql;
        private final @Nullable Object[] parameters;
        private @Nullable HandlerResult ifNoRow;

        private Statement(String sql, @Nullable Object[] parameters) {
            this.sql = sql;
            this.parameters = parameters;
        }

        /**
         * Makes the statement a condition of the record: when it changes no row (a conditional
         * {@code UPDATE ... WHERE available >= ?} that did not match), the record is {@code REJECTED} with this
         * reason and its later statements do not run. Its row count must then be known, which
         * {@link BatchedStatements} ensures even when the driver's batches do not report one.
         */
        public void orReject(String reason) {
            ifNoRow = HandlerResult.rejected(reason);
        }

        String sql() {
            return sql;
        }

        @Nullable Object[] parameters() {
            return parameters;
        }

        /** What the record becomes when the statement changes no row, or {@code null} when that does not matter. */
        @Nullable HandlerResult ifNoRow() {
            return ifNoRow;
        }

        @Override
        public String toString() {
            return sql + " " + Arrays.toString(parameters);
        }
    }
}
