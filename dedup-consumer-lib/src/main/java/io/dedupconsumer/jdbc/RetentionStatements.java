package io.dedupconsumer.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The retention's two statements on one database: read the database's clock, and delete a batch of rows older than a
 * cutoff read from it. They are the only statements of the library that bind a point in time, which is why the time
 * binding lives here and not with the claim (a claim stamps {@code processed_at} with the database's own clock,
 * {@link Dialect#clock()}). The database is detected from the first connection unless configured.
 */
final class RetentionStatements {

    /**
     * The earliest cutoff a purge uses: MySQL's {@code DATETIME} range starts there, and no key is older, since
     * {@code processed_at} comes from the database's clock. A window reaching back further keeps every key.
     */
    private static final Instant EARLIEST_CUTOFF = Instant.parse("1000-01-01T00:00:00Z");
    private static final DateTimeFormatter MYSQL_DATETIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS");
    /** A {@code DATETIME} as the driver gives it as text: the fraction is left out when it is zero. */
    private static final DateTimeFormatter MYSQL_DATETIME_TEXT = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd HH:mm:ss").appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).toFormatter();

    private final DataSource dataSource;
    private final String table;
    private final @Nullable Dialect configuredDialect;
    private volatile @Nullable Sql sql;

    RetentionStatements(DataSource dataSource, String table, @Nullable Dialect dialect) {
        this.dataSource = dataSource;
        this.table = table;
        this.configuredDialect = dialect;
    }

    /** The cutoff of a run with this window, on a connection of its own (see {@link #cutoff(Connection, Duration)}). */
    Instant cutoff(Duration window) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return cutoff(connection, window);
        }
    }

    /**
     * The instant before which keys are older than {@code window}, on the database's clock (the one that wrote their
     * {@code processed_at}): the database's current time minus the window. A window reaching back before the year
     * 1000 is longer than any key has existed: the cutoff is then {@link Instant#MIN} and nothing is old enough.
     */
    Instant cutoff(Connection connection, Duration window) throws SQLException {
        Objects.requireNonNull(window, "window");
        Sql statements = sql(connection);
        Instant now;
        try (PreparedStatement select = connection.prepareStatement(statements.currentTime);
                ResultSet rs = select.executeQuery()) {
            rs.next();
            // MySQL's UTC_TIMESTAMP read as the server's text: a driver would shift a DATETIME by the JVM's time zone.
            now = statements.dialect == Dialect.MYSQL
                    ? LocalDateTime.parse(rs.getString(1), MYSQL_DATETIME_TEXT).toInstant(ZoneOffset.UTC)
                    : rs.getObject(1, OffsetDateTime.class).toInstant();
        }
        if (window.compareTo(Duration.between(EARLIEST_CUTOFF, now)) > 0) {
            return Instant.MIN;
        }
        return now.minus(window);
    }

    /**
     * One batch: at most {@code limit} rows processed before {@code cutoff} deleted in one short transaction, on a
     * connection borrowed for that batch only, so that no purge holds locks long enough to slow the consumers.
     */
    int deleteBatch(Instant cutoff, int limit) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            if (autoCommit) {
                connection.setAutoCommit(false);
            }
            try {
                int n = purge(connection, cutoff, limit);
                connection.commit();
                return n;
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
                throw e;
            } finally {
                if (autoCommit) {
                    try {
                        connection.setAutoCommit(true);
                    } catch (SQLException ignored) {
                        // a broken connection: the pool discards it on close
                    }
                }
            }
        }
    }

    /**
     * Deletes at most {@code limit} rows processed before {@code cutoff}, of every consumer, in the caller's
     * transaction.
     *
     * @return the rows deleted; a cutoff before the year 1000, such as {@link Instant#MIN}, deletes nothing and runs
     *     no statement
     */
    int purge(Connection connection, Instant cutoff, int limit) throws SQLException {
        if (cutoff.isBefore(EARLIEST_CUTOFF)) {
            return 0;
        }
        Sql statements = sql(connection);
        try (PreparedStatement delete = connection.prepareStatement(statements.purge)) {
            if (statements.dialect == Dialect.MYSQL) {
                // DATETIME has no zone: the table stores UTC. Bound as text because Connector/J reads MariaDB's
                // protocol version as 5.5.5 and would drop the milliseconds of a temporal parameter.
                delete.setString(1, MYSQL_DATETIME.format(LocalDateTime.ofInstant(cutoff, ZoneOffset.UTC)));
            } else {
                delete.setObject(1, cutoff.atOffset(ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
            }
            delete.setInt(2, limit);
            return delete.executeUpdate();
        }
    }

    private Sql sql(Connection connection) throws SQLException {
        Sql statements = sql;
        if (statements == null) {
            statements = Sql.of(configuredDialect != null ? configuredDialect : Dialect.detect(connection), table);
            sql = statements;
        }
        return statements;
    }

    /** The two statements rendered for one database and one validated table name. */
    private record Sql(Dialect dialect, String currentTime, String purge) {
        static Sql of(Dialect dialect, String table) {
            // On MySQL the time is formatted by the server: MariaDB Connector/J 3.5 renders a DATETIME(3) whose
            // milliseconds start with a zero wrongly (.006 as ".6000"), which would move the cutoff by up to a second.
            String currentTime = dialect == Dialect.MYSQL
                    ? "SELECT DATE_FORMAT(" + dialect.clock() + ", '%Y-%m-%d %H:%i:%s.%f')"
                    : "SELECT " + dialect.clock();
            return new Sql(dialect, currentTime, switch (dialect) {
                case MYSQL -> "DELETE FROM " + table + " WHERE processed_at < ? LIMIT ?";
                case POSTGRESQL -> "DELETE FROM " + table + " WHERE ctid = ANY (ARRAY("
                        + "SELECT ctid FROM " + table + " WHERE processed_at < ? LIMIT ?))";
                case H2 -> "DELETE FROM " + table + " WHERE processed_at < ? FETCH FIRST ? ROWS ONLY";
            });
        }
    }
}
