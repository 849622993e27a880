package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.oracle.StockModel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What the run actually ended with: the run's rows in the database, and what each pass consumed, counted and
 * dead-lettered.
 *
 * @param stock units per SKU in the {@code stock} table
 * @param ledgerDeltas the sum of the ledger's deltas per SKU
 * @param ledger ledger rows by result
 * @param doubledEvents event ids with more than one ledger row (each should have exactly one)
 * @param claims the run's rows in the dedup table, by outcome
 * @param refusals the run's {@code REJECTED} rows in the dedup table, by reason
 * @param recordsInTopic records the topic holds
 * @param live the live pass
 * @param replay the replay
 * @param deadLetters the dead-letter topic after both passes
 */
record Snapshot(Map<String, Integer> stock, Map<String, Long> ledgerDeltas, Map<String, Long> ledger,
        List<String> doubledEvents, Map<Outcome, Long> claims, Map<Refusal, Long> refusals, long recordsInTopic,
        Pass live, Pass replay, DeadLetterCensus deadLetters) {

    /**
     * One pass over the topic.
     *
     * @param consumed records the pass's consumer group committed
     * @param outcomes outcomes from the {@code dedup.records} meters of the pass's instances
     * @param deadLettered records the pass added to the dead-letter topic
     */
    record Pass(long consumed, Map<Outcome, Long> outcomes, long deadLettered) {
    }

    /** The run's rows of the database: SKUs and event ids carry the run id, dedup rows the consumer name. */
    record Database(Map<String, Integer> stock, Map<String, Long> ledgerDeltas, Map<String, Long> ledger,
            List<String> doubledEvents, Map<Outcome, Long> claims, Map<Refusal, Long> refusals) {

        static Database read(JdbcTemplate jdbc, String runId, String consumerName) {
            String skus = runId + "-%";
            Map<String, Integer> stock = new TreeMap<>();
            jdbc.query("SELECT sku, available FROM stock WHERE sku LIKE ?",
                    row -> { stock.put(row.getString(1), row.getInt(2)); }, skus);
            Map<String, Long> deltas = new TreeMap<>();
            jdbc.query("SELECT sku, SUM(delta) FROM stock_ledger WHERE sku LIKE ? GROUP BY sku",
                    row -> { deltas.put(row.getString(1), row.getLong(2)); }, skus);
            Map<String, Long> ledger = new LinkedHashMap<>();
            StockModel.LEDGER_RESULTS.forEach(result -> ledger.put(result, 0L));
            jdbc.query("SELECT result, COUNT(*) FROM stock_ledger WHERE sku LIKE ? GROUP BY result",
                    row -> { ledger.put(row.getString(1), row.getLong(2)); }, skus);
            List<String> doubled = new ArrayList<>();
            jdbc.query("SELECT event_id FROM stock_ledger WHERE sku LIKE ? GROUP BY event_id HAVING COUNT(*) > 1"
                    + " ORDER BY event_id", row -> { doubled.add(row.getString(1)); }, skus);
            Map<Outcome, Long> claims = new EnumMap<>(Outcome.class);
            for (Outcome outcome : Outcome.values()) {
                claims.put(outcome, 0L);
            }
            jdbc.query("SELECT outcome, COUNT(*) FROM dedup_record WHERE consumer_name = ? GROUP BY outcome",
                    row -> { claims.put(Outcome.valueOf(row.getString(1)), row.getLong(2)); }, consumerName);
            Map<Refusal, Long> refusals = new EnumMap<>(Refusal.class);
            for (Refusal refusal : Refusal.values()) {
                Long count = jdbc.queryForObject("SELECT COUNT(*) FROM dedup_record WHERE consumer_name = ?"
                        + " AND outcome = 'REJECTED' AND reason LIKE ?", Long.class, consumerName, refusal.name() + ":%");
                refusals.put(refusal, count == null ? 0 : count);
            }
            return new Database(stock, deltas, ledger, doubled, claims, refusals);
        }
    }

    static Snapshot of(Database database, long recordsInTopic, Pass live, Pass replay, DeadLetterCensus deadLetters) {
        return new Snapshot(database.stock(), database.ledgerDeltas(), database.ledger(), database.doubledEvents(),
                database.claims(), database.refusals(), recordsInTopic, live, replay, deadLetters);
    }

    long ledgerRows() {
        return ledger.values().stream().mapToLong(Long::longValue).sum();
    }
}
