package io.dedupconsumer.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The databases the dedup table runs on. Each differs in how a duplicate claim is detected without
 * breaking the surrounding transaction, which is why the choice matters and is made once.
 *
 * <ul>
 *   <li>{@link #MYSQL} (MySQL 8, MariaDB 10.5+, through MySQL Connector/J or MariaDB Connector/J): a plain
 *       {@code SELECT} of the key, then a plain {@code INSERT} only if no row holds it, so that a duplicate is not an
 *       error the driver logs; a key committed between the two fails only the {@code INSERT} with SQLState class 23
 *       (error 1062), and the transaction goes on. Neither {@code INSERT IGNORE}
 *       (it downgrades unrelated errors to warnings) nor {@code ON DUPLICATE KEY UPDATE} (Connector/J reports
 *       found rows, so a duplicate looks like a new row) is used.</li>
 *   <li>{@link #POSTGRESQL}: {@code INSERT ... ON CONFLICT DO NOTHING}; an update count of 0 is the duplicate.
 *       A caught unique violation would abort the whole transaction, so it is never provoked.</li>
 *   <li>{@link #H2}: the embedded default for demos and fast tests; a plain {@code INSERT}, a duplicate fails it
 *       with SQLState class 23.</li>
 * </ul>
 */
public enum Dialect {
    MYSQL("mysql", "UTC_TIMESTAMP(3)"),
    POSTGRESQL("postgresql", "statement_timestamp()"),
    H2("h2", "CURRENT_TIMESTAMP");

    private final String folder;
    private final String clock;

    Dialect(String folder, String clock) {
        this.folder = folder;
        this.clock = clock;
    }

    /**
     * The database's current time as an SQL expression: the one clock a claim writes {@code processed_at} by and the
     * retention reads its cutoff from, so that no application clock and no session time zone can age a key. On MySQL
     * the column is a {@code DATETIME} holding UTC, so it is {@code UTC_TIMESTAMP(3)} (not {@code NOW()}, which follows
     * the session's {@code time_zone}); on PostgreSQL and H2 the column has a time zone. Both read the time the
     * statement started.
     */
    public String clock() {
        return clock;
    }

    /** The folder of this dialect's DDL, both under {@code sql/} in the sources and {@code db/dedup/} in the jar. */
    public String folder() {
        return folder;
    }

    /**
     * Detects the dialect from the database a connection talks to, by its product name, whichever driver reports it
     * (MariaDB Connector/J says "MariaDB", MySQL Connector/J says "MySQL" even when the server is MariaDB).
     *
     * @throws IllegalStateException if the database is none of MySQL, MariaDB, PostgreSQL or H2
     */
    public static Dialect detect(Connection connection) throws SQLException {
        DatabaseMetaData metaData = connection.getMetaData();
        String product = metaData.getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("mysql") || product.contains("mariadb")) {
            return MYSQL;
        }
        if (product.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (product.equals("h2")) {
            return H2;
        }
        throw new IllegalStateException("dedup-consumer supports MySQL, MariaDB, PostgreSQL and H2, but the DataSource "
                + "connects to '" + metaData.getDatabaseProductName() + "'; set the dialect explicitly only if the "
                + "database is compatible with one of them");
    }
}
