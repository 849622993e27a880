package io.dedupconsumer.examples.inventory.oracle;

import java.util.List;
import java.util.Map;

/**
 * The checks every verifier of the inventory service makes on its tables, worded and counted once: the stock per SKU
 * against the oracle's, the stock against the ledger, and the effects per event id (one ledger row at most). Each adds
 * one line to a {@link Verification}, with the SKUs or events behind a failure as its examples.
 */
public final class InventoryChecks {

    /** The check of every SKU's units against the oracle's. */
    public static final String STOCK_AS_MODEL = "SKUs whose stock equals the model";
    /** The check that stock moved only with a ledger row. */
    public static final String STOCK_AS_LEDGER = "SKUs whose stock = initial + ledger deltas";
    /** The check that no event's effect was applied twice. */
    public static final String DOUBLED_EFFECTS = "events with more than one ledger row";

    private InventoryChecks() {
    }

    /** Expected against actual stock: every SKU of {@code expected} must hold its units in {@code actual}. */
    public static void stock(Verification v, String section, Map<String, Integer> expected, Map<String, Integer> actual) {
        long equal = 0;
        for (Map.Entry<String, Integer> sku : expected.entrySet()) {
            Integer units = actual.get(sku.getKey());
            if (sku.getValue().equals(units)) {
                equal++;
            } else {
                v.example(STOCK_AS_MODEL, sku.getKey() + ": model " + sku.getValue() + ", database " + units);
            }
        }
        v.check(section, STOCK_AS_MODEL, expected.size(), equal,
                "stock differs from the model: an effect applied twice, lost, or out of order");
    }

    /** Stock against the ledger: every SKU of {@code initial} must hold its initial units plus its ledger deltas. */
    public static void ledgerBalance(Verification v, String section, Map<String, Integer> initial,
            Map<String, Long> ledgerDeltas, Map<String, Integer> actual) {
        long consistent = 0;
        for (Map.Entry<String, Integer> sku : initial.entrySet()) {
            long deltas = ledgerDeltas.getOrDefault(sku.getKey(), 0L);
            long expected = sku.getValue() + deltas;
            Integer units = actual.get(sku.getKey());
            if (units != null && units == expected) {
                consistent++;
            } else {
                v.example(STOCK_AS_LEDGER, sku.getKey() + ": initial " + sku.getValue() + " + ledger " + deltas + " = "
                        + expected + ", database " + units);
            }
        }
        v.check(section, STOCK_AS_LEDGER, initial.size(), consistent,
                "stock moved without a ledger row, or the other way round");
    }

    /** Effects per event id: none may have more than one ledger row; {@code doubled} names each that has. */
    public static void doubledEffects(Verification v, String section, List<String> doubled) {
        doubled.forEach(event -> v.example(DOUBLED_EFFECTS, event));
        v.check(section, DOUBLED_EFFECTS, 0, doubled.size(), "an event's effect was applied more than once");
    }
}
