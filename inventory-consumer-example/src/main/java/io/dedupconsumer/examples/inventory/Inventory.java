package io.dedupconsumer.examples.inventory;

import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Applies stock events to the {@code stock} and {@code stock_ledger} tables. It runs inside the dedup transaction
 * (its {@link JdbcTemplate} joins it), so its writes commit together with the event's claim, or not at all.
 *
 * <p>Stock moves only with conditional statements, never read-modify-write in Java: a deduction is
 * {@code UPDATE stock SET available = available - ? WHERE sku = ? AND available >= ?}, and a cancellation first moves
 * the order's ledger row from "applied" to "given back" with {@code UPDATE ... WHERE compensated_by IS NULL}. A 0-row
 * update is a business outcome (out of stock, nothing to cancel), recorded with a ledger row, not an error to retry.
 *
 * <p>{@link #applyAll} does the same for a poll batch with one JDBC batch of stock updates and one of ledger rows per
 * run of deductions and restocks: the statements of a JDBC batch run in order in the transaction, so each conditional
 * {@code UPDATE} sees the ones before it, and its own update count (1 or 0) decides the event.
 */
@Component
final class Inventory {

    private static final String APPLIED = "APPLIED";
    /** For a JDBC batch: deductions ({@code -q, sku, q}) and restocks ({@code q, sku, 0}) in one statement. */
    private static final String MOVE_STOCK = "UPDATE stock SET available = available + ? WHERE sku = ? AND available >= ?";
    private static final String LEDGER_ROW = "INSERT INTO stock_ledger (event_id, entry_type, order_id, sku, quantity,"
            + " delta, result) VALUES (?, ?, ?, ?, ?, ?, ?)";

    private final JdbcTemplate jdbc;

    Inventory(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Applies one event; must run in the dedup transaction. */
    Decision apply(StockEvent event) {
        return switch (event.type()) {
            case DEDUCT -> deduct(event);
            case CANCEL -> cancel(event);
            case RESTOCK -> restock(event);
        };
    }

    /**
     * Applies events in their order, as {@link #apply} would one after the other, with one JDBC batch of stock updates
     * and one of ledger rows for each run of deductions and restocks; a cancellation, which reads the ledger rows of
     * its order, ends the run and is applied on its own. Must run in the dedup transaction.
     *
     * @return one decision per event, in the same order
     * @throws IllegalStateException when the driver does not report the rows each statement of a batch changed (for
     *     instance MySQL Connector/J with {@code rewriteBatchedStatements=true}): the counts decide the events
     */
    List<Decision> applyAll(List<StockEvent> events) {
        Set<String> known = known(events);
        List<Decision> decisions = new ArrayList<>(events.size());
        List<StockEvent> run = new ArrayList<>();
        for (StockEvent event : events) {
            if (event.type() == StockEvent.Type.CANCEL) {
                decisions.addAll(moveStock(run, known));
                run.clear();
                decisions.add(cancel(event));
            } else {
                run.add(event);
            }
        }
        decisions.addAll(moveStock(run, known));
        return decisions;
    }

    private List<Decision> moveStock(List<StockEvent> run, Set<String> known) {
        if (run.isEmpty()) {
            return List.of();
        }
        List<StockEvent> onKnownSkus = run.stream().filter(event -> known.contains(event.sku())).toList();
        int[] moved = onKnownSkus.isEmpty() ? new int[0]
                : jdbc.batchUpdate(MOVE_STOCK, onKnownSkus, onKnownSkus.size(), (update, event) -> {
                    boolean deduct = event.type() == StockEvent.Type.DEDUCT;
                    update.setInt(1, deduct ? -event.quantity() : event.quantity());
                    update.setString(2, event.sku());
                    update.setInt(3, deduct ? event.quantity() : 0);
                })[0];
        List<Decision> decisions = new ArrayList<>(run.size());
        List<Object[]> ledger = new ArrayList<>();
        int next = 0;
        for (StockEvent event : run) {
            if (!known.contains(event.sku())) {
                decisions.add(unknownSku(event));
                continue;
            }
            int rows = moved[next++];
            if (rows != 0 && rows != 1) {
                throw new IllegalStateException("the driver reported " + rows + " rows for the stock update of event "
                        + event.eventId() + (rows == Statement.SUCCESS_NO_INFO ? " (SUCCESS_NO_INFO: it does not report "
                        + "the rows of each statement of a batch; for MySQL Connector/J remove "
                        + "rewriteBatchedStatements=true)" : "") + "; the count decides whether the event applied");
            }
            boolean applied = rows == 1;
            int delta = !applied ? 0 : event.type() == StockEvent.Type.DEDUCT ? -event.quantity() : event.quantity();
            ledger.add(new Object[] {event.eventId(), event.type().name(), event.orderId(), event.sku(), event.quantity(),
                delta, applied ? APPLIED : Refusal.OUT_OF_STOCK.name()});
            decisions.add(applied ? Decision.APPLIED : outOfStock(event));
        }
        if (!ledger.isEmpty()) {
            jdbc.batchUpdate(LEDGER_ROW, ledger);
        }
        return decisions;
    }

    /** The SKUs of {@code events} that are in the stock table, read once for the batch. */
    private Set<String> known(List<StockEvent> events) {
        List<String> skus = events.stream().map(StockEvent::sku).distinct().toList();
        if (skus.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(jdbc.queryForList("SELECT sku FROM stock WHERE sku IN ("
                + String.join(", ", Collections.nCopies(skus.size(), "?")) + ")", String.class, skus.toArray()));
    }

    private Decision deduct(StockEvent event) {
        int taken = jdbc.update("UPDATE stock SET available = available - ? WHERE sku = ? AND available >= ?",
                event.quantity(), event.sku(), event.quantity());
        if (taken == 1) {
            ledger(event, event.quantity(), -event.quantity(), APPLIED);
            return Decision.APPLIED;
        }
        if (!known(event.sku())) {
            return unknownSku(event);
        }
        ledger(event, event.quantity(), 0, Refusal.OUT_OF_STOCK.name());
        return outOfStock(event);
    }

    private static Decision outOfStock(StockEvent event) {
        return Decision.refused(Refusal.OUT_OF_STOCK, event.quantity() + " units of " + event.sku() + " for order "
                + event.orderId() + ": fewer available");
    }

    private Decision cancel(StockEvent event) {
        // The transition "applied -> given back" on the order's deduction row; only one cancellation can win it.
        int compensated = jdbc.update("UPDATE stock_ledger SET compensated_by = ? WHERE order_id = ? AND sku = ?"
                + " AND entry_type = 'DEDUCT' AND result = 'APPLIED' AND compensated_by IS NULL",
                event.eventId(), event.orderId(), event.sku());
        if (compensated == 0) {
            if (!known(event.sku())) {
                return unknownSku(event);
            }
            ledger(event, 0, 0, Refusal.NOTHING_TO_CANCEL.name());
            return Decision.refused(Refusal.NOTHING_TO_CANCEL, "order " + event.orderId() + " has no applied deduction"
                    + " of " + event.sku() + " left to give back (never applied, out of stock, or already cancelled)");
        }
        // by the order's index: compensated_by has none, and a scan of the whole ledger per cancellation made the
        // service slower with every event it had recorded
        Integer units = jdbc.queryForObject("SELECT SUM(quantity) FROM stock_ledger WHERE order_id = ? AND sku = ?"
                + " AND compensated_by = ?", Integer.class, event.orderId(), event.sku(), event.eventId());
        int back = units == null ? 0 : units;
        jdbc.update("UPDATE stock SET available = available + ? WHERE sku = ?", back, event.sku());
        ledger(event, back, back, APPLIED);
        return Decision.APPLIED;
    }

    private Decision restock(StockEvent event) {
        int added = jdbc.update("UPDATE stock SET available = available + ? WHERE sku = ?", event.quantity(), event.sku());
        if (added == 0) {
            return unknownSku(event);
        }
        ledger(event, event.quantity(), event.quantity(), APPLIED);
        return Decision.APPLIED;
    }

    private boolean known(String sku) {
        Integer found = jdbc.queryForObject("SELECT COUNT(*) FROM stock WHERE sku = ?", Integer.class, sku);
        return found != null && found > 0;
    }

    private static Decision unknownSku(StockEvent event) {
        return Decision.refused(Refusal.UNKNOWN_SKU, "'" + event.sku() + "' is not in the stock table (" + event.type()
                + " " + event.eventId() + ")");
    }

    private void ledger(StockEvent event, int quantity, int delta, String result) {
        jdbc.update(LEDGER_ROW, event.eventId(), event.type().name(), event.orderId(), event.sku(), quantity, delta,
                result);
    }
}
