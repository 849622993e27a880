package io.dedupconsumer.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The dedup table's statements, run on the caller's connection so that a claim commits or rolls back
 * together with the side effect it guards. The core protocol ({@code io.dedupconsumer.core.Deduplicator})
 * is its user; applications normally meet it only to purge old keys.
 *
 * <p>Duplicates are detected by update count ({@code ON CONFLICT DO NOTHING}) or by SQLState class 23,
 * never by the text of an error message; through MariaDB Connector/J a key is looked up before it is inserted, so
 * that a duplicate is not an error either (see {@link Statements#lookUp}). Thread-safe: it holds no connection and no per-call state
 * (only a hint of whether recent batches met duplicates, which chooses how a batch is claimed, never what it decides).
 */
public final class DedupStore {

    /** The table the shipped migrations create. */
    public static final String DEFAULT_TABLE = "dedup_record";
    /** The longest dedup key the table holds, in characters. A longer key is refused, never truncated. */
    public static final int MAX_KEY_LENGTH = 255;
    /** The longest consumer name the table holds, in characters. */
    public static final int MAX_CONSUMER_NAME_LENGTH = 100;
    /** The longest recorded reason; a longer one is shortened (it is a diagnostic, not a key). */
    public static final int MAX_REASON_LENGTH = 500;

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final HexFormat HEX = HexFormat.of();
    private static final DateTimeFormatter MYSQL_DATETIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS");
    /** A {@code DATETIME} as the driver gives it as text: the fraction is left out when it is zero. */
    private static final DateTimeFormatter MYSQL_DATETIME_TEXT = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd HH:mm:ss").appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).toFormatter();
    /**
     * The earliest cutoff a purge uses: MySQL's {@code DATETIME} range starts there, and no key is older, since
     * {@code processed_at} comes from the database's clock. A window reaching back further keeps every key.
     */
    private static final Instant EARLIEST_CUTOFF = Instant.parse("1000-01-01T00:00:00Z");
    /** The consumer of {@link #probe}'s claims: a space makes it a name no consumer can have. */
    private static final String PROBE_CONSUMER = "dedup-consumer start-up check";

    private final String table;
    private final Dialect configuredDialect;
    private volatile Statements statements;
    /**
     * Whether the last batch claimed optimistically (MySQL Connector/J, H2) met a key already held. A hint only, shared by every caller: while batches
     * bring no duplicates, their claim is one optimistic multi-row {@code INSERT} instead of a look-up and an insert.
     */
    private volatile boolean duplicatesSeen;
    /** MySQL dialect only: whether the server is MariaDB (its statement timeout has another name); read once. */

    private DedupStore(String table, Dialect dialect) {
        this.table = table;
        this.configuredDialect = dialect;
    }

    /**
     * A store for a table, validated as an SQL identifier ({@code name} or {@code schema.name}, letters,
     * digits and underscores), because it is the one name put into SQL text.
     *
     * @param dialect the database, or {@code null} to detect it from the first connection
     * @throws IllegalArgumentException naming the setting {@code table} when the name is not an identifier
     */
    public static DedupStore create(String table, Dialect dialect) {
        return new DedupStore(validateTable(table), dialect);
    }

    static String validateTable(String table) {
        if (table == null || table.isEmpty()) {
            throw new IllegalArgumentException("table: must not be empty; leave it unset to use '" + DEFAULT_TABLE + "'");
        }
        String[] parts = table.split("\\.", -1);
        if (parts.length > 2 || !IDENTIFIER.matcher(parts[0]).matches()
                || (parts.length == 2 && !IDENTIFIER.matcher(parts[1]).matches())) {
            throw new IllegalArgumentException("table: '" + table + "' is not a valid SQL identifier; use letters, "
                    + "digits and underscores (at most 63 characters, not starting with a digit), optionally "
                    + "qualified by a schema as schema.table");
        }
        return table;
    }

    /** The validated table name. */
    public String table() {
        return table;
    }

    /** The dialect, detected from {@code connection} the first time it is needed. */
    public Dialect dialect(Connection connection) throws SQLException {
        return statements(connection).dialect;
    }

    /**
     * Claims a key in the caller's transaction. Its {@code processed_at} is the database's current time (see
     * {@link #purgeCutoff(Connection, Duration)}), never the application's.
     *
     * @return empty when this transaction now holds the key; otherwise the row that already holds it
     *     (committed by an earlier delivery, or by a concurrent one this call waited for)
     */
    public Optional<StoredClaim> claim(Connection connection, String consumer, ClaimRequest request)
            throws SQLException {
        Statements sql = statements(connection);
        if (sql.lookUp != null) {
            Optional<StoredClaim> held = read(connection, sql.lookUp, consumer, request.dedupKey());
            if (held.isPresent()) {
                return held;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(sql.insert)) {
            bindRow(insert, 1, consumer, request);
            if (insert.executeUpdate() == 1) {
                return Optional.empty();
            }
        } catch (SQLException e) {
            if (!isIntegrityViolation(e)) {
                throw e;
            }
        }
        StoredClaim holder = find(connection, consumer, request.dedupKey()).orElseThrow(() -> new SQLException(
                "claim of key '" + request.dedupKey() + "' was refused but no row holds it: the table "
                        + table + " must have its unique index on (consumer_name, dedup_key) only", "23000"));
        return Optional.of(holder);
    }

    /**
     * Claims many distinct keys in the caller's transaction with a few statements, stamped like
     * {@link #claim(Connection, String, ClaimRequest)}.
     *
     * @param requests claims whose keys are distinct
     * @return the rows that already held some of the keys; every key not in the map is now held by this transaction
     * @throws ConcurrentClaimException (MySQL, H2) when another transaction claimed a key between the look-up and
     *     the insert: roll back and claim record by record
     */
    public Map<String, StoredClaim> claimAll(Connection connection, String consumer, List<ClaimRequest> requests)
            throws SQLException {
        Statements sql = statements(connection);
        Map<String, StoredClaim> held = new HashMap<>();
        // Every claimant locks keys in the same order, so two batches sharing keys wait for each other instead of
        // deadlocking (a deadlock would only cost a retry, but a retry of a whole batch).
        List<ClaimRequest> ordered = new ArrayList<>(requests);
        ordered.sort(Comparator.comparing(ClaimRequest::dedupKey));
        requests = ordered;
        for (int from = 0; from < requests.size(); from += Statements.CHUNK) {
            List<ClaimRequest> chunk = requests.subList(from, Math.min(requests.size(), from + Statements.CHUNK));
            if (sql.dialect == Dialect.POSTGRESQL) {
                claimChunkReturning(connection, sql, consumer, chunk, held);
            } else {
                claimChunkWithoutReturning(connection, sql, consumer, chunk, held);
            }
        }
        return held;
    }

    private void claimChunkReturning(Connection connection, Statements sql, String consumer, List<ClaimRequest> chunk,
            Map<String, StoredClaim> held) throws SQLException {
        int n = chunk.size();
        String[] keys = new String[n];
        String[] fingerprints = new String[n];
        String[] topics = new String[n];
        Integer[] partitions = new Integer[n];
        Long[] offsets = new Long[n];
        for (int i = 0; i < n; i++) {
            ClaimRequest r = chunk.get(i);
            keys[i] = r.dedupKey();
            fingerprints[i] = HEX.formatHex(r.fingerprint());
            topics[i] = r.topic();
            partitions[i] = r.partition();
            offsets[i] = r.offset();
        }
        List<String> unclaimed = new ArrayList<>();
        try (PreparedStatement insert = connection.prepareStatement(sql.claimAll)) {
            insert.setString(1, consumer);
            insert.setString(2, "PROCESSED");
            insert.setArray(3, connection.createArrayOf("varchar", keys));
            insert.setArray(4, connection.createArrayOf("varchar", fingerprints));
            insert.setArray(5, connection.createArrayOf("varchar", topics));
            insert.setArray(6, connection.createArrayOf("int4", partitions));
            insert.setArray(7, connection.createArrayOf("int8", offsets));
            Set<String> claimed = new HashSet<>(n * 2);
            try (ResultSet rs = insert.executeQuery()) {
                while (rs.next()) {
                    claimed.add(rs.getString(1));
                }
            }
            for (String key : keys) {
                if (!claimed.contains(key)) {
                    unclaimed.add(key);
                }
            }
        }
        if (unclaimed.isEmpty()) {
            return;
        }
        try (PreparedStatement find = connection.prepareStatement(sql.findAll)) {
            find.setString(1, consumer);
            Array array = connection.createArrayOf("varchar", unclaimed.toArray(new String[0]));
            find.setArray(2, array);
            readInto(find, held);
        }
        for (String key : unclaimed) {
            if (!held.containsKey(key)) {
                throw new SQLException("claim of key '" + key + "' was refused but no row holds it", "23000");
            }
        }
    }

    /**
     * MySQL and H2 have no {@code ON CONFLICT ... RETURNING}: a multi-row {@code INSERT} either inserts every row or,
     * when one key is held, fails as a whole (SQLState class 23) and the transaction goes on without it. Through
     * MariaDB Connector/J the keys are always looked up first and only the fresh ones inserted (see
     * {@link Statements#lookUp}). Otherwise, while batches bring no duplicates, the claim is that one statement;
     * after a batch that met a held key, it looks up first.
     */
    private void claimChunkWithoutReturning(Connection connection, Statements sql, String consumer,
            List<ClaimRequest> chunk, Map<String, StoredClaim> held) throws SQLException {
        if (!duplicatesSeen && sql.lookUp == null) {
            try {
                insertAll(connection, sql, consumer, chunk);
                return;
            } catch (SQLException e) {
                if (!isIntegrityViolation(e)) {
                    throw e;
                }
                duplicatesSeen = true;
            }
        }
        int heldBefore = held.size();
        try (PreparedStatement find = connection.prepareStatement(sql.multiKeyFind(chunk.size()))) {
            find.setString(1, consumer);
            for (int i = 0; i < chunk.size(); i++) {
                find.setString(i + 2, chunk.get(i).dedupKey());
            }
            readInto(find, held);
        }
        duplicatesSeen = held.size() > heldBefore;
        List<ClaimRequest> fresh = new ArrayList<>(chunk.size());
        for (ClaimRequest r : chunk) {
            if (!held.containsKey(r.dedupKey())) {
                fresh.add(r);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        try {
            insertAll(connection, sql, consumer, fresh);
        } catch (SQLException e) {
            if (isIntegrityViolation(e)) {
                // The look-up reads a snapshot: a key committed by another transaction after it began is missed.
                throw new ConcurrentClaimException(e);
            }
            throw e;
        }
    }

    private static void insertAll(Connection connection, Statements sql, String consumer, List<ClaimRequest> rows)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(sql.multiRowInsert(rows.size()))) {
            int index = 1;
            for (ClaimRequest r : rows) {
                index = bindRow(insert, index, consumer, r);
            }
            insert.executeUpdate();
        }
    }

    /**
     * Bounds every lock wait and every statement of the caller's transaction, the handler's included, by
     * {@code timeout}, so that a row another transaction keeps locked fails the record's transaction in time (as a
     * lock wait or statement timeout) instead of holding the consumer past {@code max.poll.interval.ms}. Call it first
     * in the transaction and {@link #restoreTime(Connection)} last, also when the transaction fails. On MySQL and
     * MariaDB the bounds are session settings, saved and restored; on PostgreSQL they are {@code SET LOCAL}; on H2
     * nothing is changed.
     */
    public void limitTime(Connection connection, Duration timeout) throws SQLException {
        execute(connection, statements(connection).limitTime(timeout));
    }

    /** Puts back the session settings {@link #limitTime(Connection, Duration)} changed (MySQL and MariaDB only). */
    public void restoreTime(Connection connection) throws SQLException {
        execute(connection, statements(connection).restoreTime);
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        if (sql != null) {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.execute();
            }
        }
    }

    /**
     * Checks, in the caller's transaction, that this database can hold this store's claims, by doing what a claim does
     * with a row no consumer can own: reads every column the library uses (the table exists, has them, and its name
     * is usable unquoted on this database, which a reserved word such as {@code order} is not), inserts a claim twice
     * (the connection is writable, INSERT is granted, no unknown NOT NULL column, the unique index on
     * {@code (consumer_name, dedup_key)} refuses the second), once more under another consumer name (no unique index on
     * fewer columns refuses it) and updates it (UPDATE is granted). <b>Roll the
     * transaction back afterwards</b>: it holds the probe's row.
     *
     * @throws SQLException the database's refusal as it came, to classify by SQLState and vendor code
     * @throws IllegalStateException when the table took one key twice (it lacks the unique index) or refused one key
     *     under two consumer names (it has a unique index on other columns)
     */
    public void probe(Connection connection) throws SQLException {
        Statements sql = statements(connection);
        try (PreparedStatement select = connection.prepareStatement(sql.probe); ResultSet rs = select.executeQuery()) {
            rs.next();
        }
        ClaimRequest request = new ClaimRequest("probe", new byte[32], "dedup-consumer-probe", 0, 0);
        claim(connection, PROBE_CONSUMER, request);
        if (claim(connection, PROBE_CONSUMER, request).isEmpty()) {
            throw new IllegalStateException("the dedup table " + table + " accepted the same (consumer_name, dedup_key) "
                    + "twice: it has no unique index (or primary key) on exactly these two columns, so it would let "
                    + "duplicates through. Create it as the shipped DDL under sql/ does");
        }
        try {
            claim(connection, PROBE_CONSUMER + " 2", request);
        } catch (SQLException e) {
            if (!isIntegrityViolation(e)) {
                throw e;
            }
            throw new IllegalStateException("the dedup table " + table + " refused one key under two consumer names: "
                    + "a unique index on other columns than exactly (consumer_name, dedup_key) would turn one "
                    + "consumer's record into another's failure. Drop that index; the shipped DDL under sql/ has "
                    + "only the primary key (consumer_name, dedup_key)", e);
        }
        markRejected(connection, PROBE_CONSUMER, request.dedupKey(), "probe");
    }

    /** Records that the handler refused the record for a business reason, in the caller's transaction. */
    public void markRejected(Connection connection, String consumer, String dedupKey, String reason) throws SQLException {
        Statements sql = statements(connection);
        try (PreparedStatement update = connection.prepareStatement(sql.reject)) {
            update.setString(1, "REJECTED");
            update.setString(2, shorten(reason));
            update.setString(3, consumer);
            update.setString(4, dedupKey);
            update.executeUpdate();
        }
    }

    /** The row holding a key, if any, read so that it sees rows committed after this transaction began. */
    public Optional<StoredClaim> find(Connection connection, String consumer, String dedupKey) throws SQLException {
        return read(connection, statements(connection).find, consumer, dedupKey);
    }

    private static Optional<StoredClaim> read(Connection connection, String query, String consumer, String dedupKey)
            throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(query)) {
            find.setString(1, consumer);
            find.setString(2, dedupKey);
            Map<String, StoredClaim> rows = new HashMap<>(2);
            readInto(find, rows);
            return Optional.ofNullable(rows.get(dedupKey));
        }
    }

    /**
     * The instant before which keys are older than {@code window}, on the database's clock (the one that wrote their
     * {@code processed_at}): the database's current time minus the window. A window reaching back before the year
     * 1000 is longer than any key has existed: the cutoff is then {@link Instant#MIN} and nothing is old enough.
     *
     * @param window any positive duration, up to {@link java.time.temporal.ChronoUnit#FOREVER}
     */
    public Instant purgeCutoff(Connection connection, Duration window) throws SQLException {
        Objects.requireNonNull(window, "window");
        Instant now = currentTime(connection);
        if (window.compareTo(Duration.between(EARLIEST_CUTOFF, now)) > 0) {
            return Instant.MIN;
        }
        return now.minus(window);
    }

    private Instant currentTime(Connection connection) throws SQLException {
        Statements sql = statements(connection);
        try (PreparedStatement select = connection.prepareStatement(sql.currentTime);
                ResultSet rs = select.executeQuery()) {
            rs.next();
            if (sql.dialect == Dialect.MYSQL) {
                // UTC_TIMESTAMP as text: the driver would otherwise shift it by the JVM's time zone.
                return LocalDateTime.parse(rs.getString(1), MYSQL_DATETIME_TEXT).toInstant(ZoneOffset.UTC);
            }
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    /**
     * Deletes at most {@code limit} rows processed before {@code cutoff}, of every consumer. Call it repeatedly,
     * each call in its own short transaction, so that no purge holds locks long enough to slow the consumers. Take
     * the cutoff from {@link #purgeCutoff(Connection, Duration)}: a cutoff from the application's clock would let a
     * clock running ahead delete young keys.
     *
     * @return the number of rows deleted; fewer than {@code limit} means nothing older is left (a cutoff before the
     *     year 1000, such as {@link Instant#MIN}, deletes nothing and runs no statement)
     */
    public int purge(Connection connection, Instant cutoff, int limit) throws SQLException {
        if (cutoff.isBefore(EARLIEST_CUTOFF)) {
            return 0;
        }
        Statements sql = statements(connection);
        try (PreparedStatement delete = connection.prepareStatement(sql.purge)) {
            bindTime(delete, 1, sql.dialect, cutoff);
            delete.setInt(2, limit);
            return delete.executeUpdate();
        }
    }

    private Statements statements(Connection connection) throws SQLException {
        Statements sql = statements;
        if (sql == null) {
            Dialect dialect = configuredDialect != null ? configuredDialect : Dialect.detect(connection);
            // MariaDB Connector/J logs every error packet with its text, a provoked duplicate's business key included
            DatabaseMetaData metaData = connection.getMetaData();
            String driver = metaData.getDriverName();
            boolean mariadbServer = dialect == Dialect.MYSQL && metaData.getDatabaseProductVersion().contains("MariaDB");
            sql = new Statements(dialect, table, mariadbServer, driver != null && driver.contains("MariaDB"));
            statements = sql;
        }
        return sql;
    }

    private static int bindRow(PreparedStatement ps, int index, String consumer, ClaimRequest r) throws SQLException {
        ps.setString(index++, consumer);
        ps.setString(index++, r.dedupKey());
        ps.setBytes(index++, r.fingerprint());
        ps.setString(index++, "PROCESSED");
        ps.setString(index++, r.topic());
        ps.setInt(index++, r.partition());
        ps.setLong(index++, r.offset());
        return index;
    }

    /** A point in time as this dialect's parameter. */
    private static void bindTime(PreparedStatement ps, int index, Dialect dialect, Instant time) throws SQLException {
        if (dialect == Dialect.MYSQL) {
            // DATETIME has no zone: the table stores UTC. Bound as text because Connector/J reads MariaDB's
            // protocol version as 5.5.5 and would drop the milliseconds of a temporal parameter.
            ps.setString(index, MYSQL_DATETIME.format(LocalDateTime.ofInstant(time, ZoneOffset.UTC)));
        } else {
            ps.setObject(index, time.atOffset(ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
        }
    }

    private static void readInto(PreparedStatement find, Map<String, StoredClaim> rows) throws SQLException {
        try (ResultSet rs = find.executeQuery()) {
            while (rs.next()) {
                StoredClaim claim = new StoredClaim(rs.getString(1), rs.getBytes(2), rs.getString(3), rs.getString(4),
                        rs.getInt(5), rs.getLong(6));
                rows.put(claim.dedupKey(), claim);
            }
        }
    }

    /** SQLState class 23: the unique index refused the row. */
    static boolean isIntegrityViolation(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            String state = s.getSQLState();
            if (state != null && state.startsWith("23")) {
                return true;
            }
        }
        return false;
    }

    static String shorten(String reason) {
        if (reason == null || reason.length() <= MAX_REASON_LENGTH) {
            return reason;
        }
        return reason.substring(0, MAX_REASON_LENGTH - 1) + "…";
    }

    @Override
    public String toString() {
        return "DedupStore[table=" + table + ", dialect=" + Objects.requireNonNullElse(configuredDialect, "detect") + "]";
    }
}
