package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.Dialect;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PostgreSQL: a caught unique violation would abort the whole transaction, so it is never provoked. A claim is
 * {@code INSERT ... ON CONFLICT DO NOTHING} (an update count of 0 is the duplicate), and a batch is one statement of any
 * size whose rows travel as arrays, {@code RETURNING} exactly the keys this transaction claimed.
 */
final class PostgreSqlClaims extends DatabaseClaims {

    private static final HexFormat HEX = HexFormat.of();

    private final String claimAll;
    private final String findAll;

    PostgreSqlClaims(String table) {
        super(Dialect.POSTGRESQL, table, " ON CONFLICT (consumer_name, dedup_key) DO NOTHING");
        this.claimAll = "INSERT INTO " + table + " (" + COLUMNS + ") "
                + "SELECT ?, u.k, decode(u.f, 'hex'), ?, u.t, u.p, u.o, " + Dialect.POSTGRESQL.clock() + " "
                + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::int[], ?::bigint[]) AS u(k, f, t, p, o) "
                + "ON CONFLICT (consumer_name, dedup_key) DO NOTHING RETURNING dedup_key";
        this.findAll = "SELECT " + SELECTED + " FROM " + table + " WHERE consumer_name = ? AND dedup_key = ANY (?)";
    }

    @Override
    void claimChunk(Connection connection, String consumer, List<ClaimRequest> chunk, Map<String, StoredClaim> held)
            throws SQLException {
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
        try (PreparedStatement insert = connection.prepareStatement(claimAll)) {
            insert.setString(1, consumer);
            insert.setString(2, Outcome.PROCESSED.name());
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
        try (PreparedStatement find = connection.prepareStatement(findAll)) {
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
     * {@code lock_timeout} and {@code statement_timeout} through {@code set_config(..., true)}, i.e. {@code SET LOCAL}:
     * they end with the transaction, nothing to restore.
     */
    @Override
    String limitTime(Duration timeout) {
        long millis = Math.max(1, timeout.toMillis());
        return "SELECT set_config('lock_timeout', '" + millis + "ms', true), "
                + "set_config('statement_timeout', '" + millis + "ms', true)";
    }
}
