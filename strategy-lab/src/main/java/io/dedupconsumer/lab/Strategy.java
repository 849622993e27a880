package io.dedupconsumer.lab;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One way of keeping a duplicate delivery from applying its effect twice.
 *
 * <p>The lab calls {@link #prepare} once per trial, {@link #open} once per event before its deliveries start, and
 * {@link #deliver} from many threads at once, each with its own connection. Implementations are stateless between
 * deliveries apart from what they keep in the database or in Redis.
 */
interface Strategy {

    /** The name used on the command line and in the result table. */
    String name();

    /** Creates the tables this strategy needs, replacing any left by an earlier trial. Runs in autocommit. */
    void prepare(Connection c) throws SQLException;

    /** Sets up business state the event refers to before any delivery of it arrives. Runs in autocommit. */
    default void open(Connection c, Event e) throws SQLException {
    }

    /**
     * Handles one delivery of {@code e}. The connection comes with autocommit off and nothing done on it; the
     * strategy commits or rolls back before it returns. If it throws, the lab rolls back and classifies the error.
     */
    Outcome deliver(Connection c, Event e) throws SQLException;
}
