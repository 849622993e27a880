package io.dedupconsumer.examples.payment;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The database state of one demo run (every id of a run starts with its prefix): orders with their versions, the
 * ledger rows, and the dedup table's records. Two snapshots are equal only if nothing changed, which is what a
 * replay must leave.
 *
 * @param orders order id to "status v<version>"
 * @param payments order id to payment rows
 * @param followups order id to refund follow-up rows
 * @param anomalies "tx:type" to "kind alerted|pending"
 * @param conflicts "tx:type" to its conflict rows (one per conflicting record on the topic)
 * @param dedupRecords dedup key to "outcome reason"
 */
record Snapshot(Map<String, String> orders, Map<String, Integer> payments, Map<String, Integer> followups,
        Map<String, String> anomalies, Map<String, Integer> conflicts, Map<String, String> dedupRecords) {

    static Snapshot take(JdbcTemplate jdbc, String consumerName, String run) {
        String orderPrefix = run + "-%";
        String txPrefix = "tx-" + run + "-%";
        Map<String, String> orders = new TreeMap<>();
        jdbc.query("SELECT id, status, version FROM orders WHERE id LIKE ?",
                rs -> { orders.put(rs.getString(1), rs.getString(2) + " v" + rs.getLong(3)); }, orderPrefix);
        Map<String, Integer> payments = counts(jdbc, "payment", orderPrefix);
        Map<String, Integer> followups = counts(jdbc, "refund_followup", orderPrefix);
        Map<String, String> anomalies = new TreeMap<>();
        jdbc.query("SELECT provider_tx_id, callback_type, kind, alerted_at FROM payment_anomaly WHERE provider_tx_id LIKE ?",
                rs -> { anomalies.put(rs.getString(1) + ":" + rs.getString(2),
                        rs.getString(3) + (rs.getTimestamp(4) == null ? " pending" : " alerted")); }, txPrefix);
        Map<String, Integer> conflicts = new TreeMap<>();
        jdbc.query("SELECT provider_tx_id, callback_type, COUNT(*) FROM payment_conflict WHERE provider_tx_id LIKE ? "
                + "GROUP BY provider_tx_id, callback_type",
                rs -> { conflicts.put(rs.getString(1) + ":" + rs.getString(2), rs.getInt(3)); }, txPrefix);
        Map<String, String> dedup = new TreeMap<>();
        jdbc.query("SELECT dedup_key, outcome, reason FROM dedup_record WHERE consumer_name = ? AND dedup_key LIKE ?",
                rs -> { dedup.put(rs.getString(1),
                        rs.getString(2) + (rs.getString(3) == null ? "" : " " + rs.getString(3))); },
                consumerName, txPrefix);
        return new Snapshot(orders, payments, followups, anomalies, conflicts, dedup);
    }

    private static Map<String, Integer> counts(JdbcTemplate jdbc, String table, String orderPrefix) {
        Map<String, Integer> counts = new TreeMap<>();
        jdbc.query("SELECT order_id, COUNT(*) FROM " + table + " WHERE order_id LIKE ? GROUP BY order_id",
                rs -> { counts.put(rs.getString(1), rs.getInt(2)); }, orderPrefix);
        return counts;
    }

    /** The verdict of every callback the consumer applied, read from the dedup table. */
    Map<Verdict, Integer> verdicts() {
        Map<Verdict, Integer> verdicts = new TreeMap<>();
        dedupRecords.forEach((key, record) -> {
            Verdict verdict;
            if (record.startsWith("PROCESSED")) {
                verdict = key.endsWith(":" + CallbackType.SUCCESS) ? Verdict.PAID : Verdict.ATTEMPT_FAILED;
            } else {
                verdict = Verdict.ofReason(record.substring(record.indexOf(' ') + 1));
            }
            if (verdict != null) {
                verdicts.merge(verdict, 1, Integer::sum);
            }
        });
        return verdicts;
    }

    /** Orders by status. */
    Map<OrderStatus, Integer> statuses() {
        Map<OrderStatus, Integer> statuses = new TreeMap<>();
        orders.values().forEach(value -> statuses.merge(OrderStatus.valueOf(value.substring(0, value.indexOf(' '))), 1,
                Integer::sum));
        return statuses;
    }

    List<String> orderIds() {
        return List.copyOf(orders.keySet());
    }
}
