package io.dedupconsumer.core;

import java.sql.Connection;
import javax.sql.DataSource;

/**
 * Runs work in one database transaction and hands it the transaction's connection. The claim and the user's
 * handler both run inside, so they commit or roll back together.
 *
 * <p>{@link #jdbc(DataSource)} is the plain-JDBC implementation; the Spring integration provides one that joins
 * Spring's transaction management so that a handler's {@code JdbcTemplate} uses the same connection.
 */
public interface TransactionRunner {

    /**
     * Runs {@code work} in a new transaction: commits when it returns, rolls back when it throws, and then rethrows
     * what it threw, unchanged.
     */
    <T> T inTransaction(Work<T> work) throws Exception;

    /** Work that needs the transaction's connection. */
    @FunctionalInterface
    interface Work<T> {
        T execute(Connection connection) throws Exception;
    }

    /** Transactions on connections taken from {@code dataSource}, with auto-commit off for their duration. */
    static TransactionRunner jdbc(DataSource dataSource) {
        return new JdbcTransactionRunner(dataSource);
    }
}
