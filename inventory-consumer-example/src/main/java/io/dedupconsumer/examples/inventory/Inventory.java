package io.dedupconsumer.examples.inventory;

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
 */
@Component
final class Inventory {

    private static final String APPLIED = "APPLIED";

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
        jdbc.update("INSERT INTO stock_ledger (event_id, entry_type, order_id, sku, quantity, delta, result)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)",
                event.eventId(), event.type().name(), event.orderId(), event.sku(), quantity, delta, result);
    }
}
