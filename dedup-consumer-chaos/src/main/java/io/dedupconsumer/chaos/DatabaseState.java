package io.dedupconsumer.chaos;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * What the database holds after a run, read in one pass: the inventory service's {@code stock} and
 * {@code stock_ledger}, and the consumer's rows in {@code dedup_record}.
 *
 * @param stock units available per SKU
 * @param ledger every ledger row
 * @param claims the consumer's dedup rows by dedup key
 */
record DatabaseState(Map<String, Integer> stock, List<LedgerRow> ledger, Map<String, Claim> claims) {

    /**
     * One {@code stock_ledger} row.
     *
     * @param eventId the event it records
     * @param sku the SKU it moved (or did not)
     * @param delta the units it moved
     * @param result {@code APPLIED}, {@code OUT_OF_STOCK} or {@code NOTHING_TO_CANCEL}
     */
    record LedgerRow(String eventId, String sku, int delta, String result) {
        @Override
        public String toString() {
            return result + " " + (delta > 0 ? "+" : "") + delta + " " + sku;
        }
    }

    /**
     * One {@code dedup_record} row: the claim of an event id.
     *
     * @param key the dedup key (the event id)
     * @param fingerprint SHA-256 of the claiming record's value
     * @param outcome {@code PROCESSED} or {@code REJECTED}
     * @param reason the recorded refusal, for {@code REJECTED}
     * @param topic the claiming record's topic
     * @param partition the claiming record's partition
     * @param offset the claiming record's offset
     */
    record Claim(String key, byte[] fingerprint, String outcome, String reason, String topic, int partition, long offset) {
    }

    DatabaseState {
        stock = Map.copyOf(stock);
        ledger = List.copyOf(ledger);
        claims = Map.copyOf(claims);
    }

    /** Reads the three tables; dedup rows only of {@code consumerName}. */
    static DatabaseState read(DataSource dataSource, String consumerName) {
        try (Connection connection = dataSource.getConnection()) {
            Map<String, Integer> stock = new TreeMap<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT sku, available FROM stock");
                    ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    stock.put(rows.getString(1), rows.getInt(2));
                }
            }
            List<LedgerRow> ledger = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT event_id, sku, delta, result FROM stock_ledger ORDER BY id");
                    ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ledger.add(new LedgerRow(rows.getString(1), rows.getString(2), rows.getInt(3), rows.getString(4)));
                }
            }
            return new DatabaseState(stock, ledger, claims(connection, consumerName, null));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the inventory tables: " + e.getMessage(), e);
        }
    }

    /**
     * The dedup rows of {@code consumerName} whose key is one of {@code keys} ({@code null}: all of them).
     *
     * @throws SQLException as the driver reports it
     */
    static Map<String, Claim> claims(Connection connection, String consumerName, List<String> keys) throws SQLException {
        Map<String, Claim> claims = new HashMap<>();
        StringBuilder sql = new StringBuilder("SELECT dedup_key, fingerprint, outcome, reason, source_topic,"
                + " source_partition, source_offset FROM dedup_record WHERE consumer_name = ?");
        if (keys != null) {
            if (keys.isEmpty()) {
                return claims;
            }
            sql.append(" AND dedup_key IN (").append("?,".repeat(keys.size() - 1)).append("?)");
        }
        try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
            select.setString(1, consumerName);
            if (keys != null) {
                for (int i = 0; i < keys.size(); i++) {
                    select.setString(i + 2, keys.get(i));
                }
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String key = text(rows.getObject(1));
                    claims.put(key, new Claim(key, rows.getBytes(2), rows.getString(3), rows.getString(4),
                            rows.getString(5), rows.getInt(6), rows.getLong(7)));
                }
            }
        }
        return claims;
    }

    /** The key as text: MySQL/MariaDB store it as VARBINARY (UTF-8 bytes), the other databases as text. */
    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    /** The sum of the ledger's deltas per SKU. */
    Map<String, Long> ledgerDeltas() {
        Map<String, Long> deltas = new HashMap<>();
        for (LedgerRow row : ledger) {
            deltas.merge(row.sku(), (long) row.delta(), Long::sum);
        }
        return deltas;
    }
}
