package io.dedupconsumer.examples.inventory.oracle;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.MalformedEventException;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.StockEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The inventory service's stock rules as plain Java, for the verifiers to compute what the service's SQL
 * ({@code Inventory}) must have done without running it: apply each unique event once, in per-SKU order.
 *
 * <ul>
 *   <li>a {@code DEDUCT} takes its units only if that many are available, else it is refused {@code OUT_OF_STOCK}
 *       and leaves a ledger row that moves nothing;</li>
 *   <li>a {@code CANCEL} gives back every applied deduction of its order and SKU not given back yet, else it is
 *       refused {@code NOTHING_TO_CANCEL} (with a ledger row that moves nothing);</li>
 *   <li>a {@code RESTOCK} adds its units;</li>
 *   <li>an event on a SKU the stock does not hold is refused {@code UNKNOWN_SKU}, and a value that is not a stock event
 *       {@code MALFORMED}; neither leaves a ledger row.</li>
 * </ul>
 *
 * <p>Not thread-safe: one model per verification, fed in the order the service applies the events.
 */
public final class StockModel {

    /** The ledger result of an applied event. */
    public static final String APPLIED = "APPLIED";

    /** Every result a ledger row can have, in the order the reports list them. */
    public static final List<String> LEDGER_RESULTS = List.of(APPLIED, Refusal.OUT_OF_STOCK.name(),
            Refusal.NOTHING_TO_CANCEL.name());

    /**
     * What one event did.
     *
     * @param refusal why it was refused; {@code null} when it was applied
     * @param ledgerResult the result of the ledger row it leaves ({@link #APPLIED}, {@code OUT_OF_STOCK},
     *     {@code NOTHING_TO_CANCEL}); {@code null} for none (unknown SKU, malformed)
     * @param sku the SKU it is about; {@code null} for a malformed event
     * @param delta the units it moved: negative for a deduction, positive for a cancellation or a restock, else 0
     */
    public record Effect(@Nullable Refusal refusal, @Nullable String ledgerResult, @Nullable String sku, int delta) {

        /** The outcome its claim records: {@code PROCESSED} when applied, {@code REJECTED} when refused. */
        public Outcome outcome() {
            return refusal == null ? Outcome.PROCESSED : Outcome.REJECTED;
        }
    }

    private final Map<String, Integer> initialStock;
    private final Map<String, Integer> stock;
    /** Applied deductions per order and SKU; a cancellation gives each back once. */
    private final Map<String, List<Deduction>> deductions = new HashMap<>();

    /** @param initialStock units per SKU before the first event; a SKU not in it is unknown to the service */
    public StockModel(Map<String, Integer> initialStock) {
        this.initialStock = Collections.unmodifiableMap(new TreeMap<>(initialStock));
        this.stock = new TreeMap<>(initialStock);
    }

    /** Applies a record's value as the service's listener does: parsed, or refused {@code MALFORMED}. */
    public Effect apply(@Nullable String value) {
        StockEvent event;
        try {
            event = StockEvent.parse(value);
        } catch (MalformedEventException e) {
            return new Effect(Refusal.MALFORMED, null, null, 0);
        }
        return apply(event);
    }

    /** Applies one well-formed event. */
    public Effect apply(StockEvent event) {
        Integer available = stock.get(event.sku());
        if (available == null) {
            return new Effect(Refusal.UNKNOWN_SKU, null, event.sku(), 0);
        }
        return switch (event.type()) {
            case DEDUCT -> deduct(event, available);
            case CANCEL -> cancel(event, available);
            case RESTOCK -> {
                stock.put(event.sku(), available + event.quantity());
                yield new Effect(null, APPLIED, event.sku(), event.quantity());
            }
        };
    }

    private Effect deduct(StockEvent event, int available) {
        if (available < event.quantity()) {
            return new Effect(Refusal.OUT_OF_STOCK, Refusal.OUT_OF_STOCK.name(), event.sku(), 0);
        }
        stock.put(event.sku(), available - event.quantity());
        deductions.computeIfAbsent(order(event), k -> new ArrayList<>()).add(new Deduction(event.quantity()));
        return new Effect(null, APPLIED, event.sku(), -event.quantity());
    }

    private Effect cancel(StockEvent event, int available) {
        int back = 0;
        for (Deduction deduction : deductions.getOrDefault(order(event), List.of())) {
            if (!deduction.givenBack) {
                deduction.givenBack = true;
                back += deduction.quantity;
            }
        }
        if (back == 0) {
            return new Effect(Refusal.NOTHING_TO_CANCEL, Refusal.NOTHING_TO_CANCEL.name(), event.sku(), 0);
        }
        stock.put(event.sku(), available + back);
        return new Effect(null, APPLIED, event.sku(), back);
    }

    private static String order(StockEvent event) {
        return event.orderId() + '\u0000' + event.sku();
    }

    /** Units per known SKU before the first event. */
    public Map<String, Integer> initialStock() {
        return initialStock;
    }

    /** Units per known SKU after the events applied so far, by SKU. */
    public Map<String, Integer> stock() {
        return Collections.unmodifiableMap(stock);
    }

    /** An applied deduction, which one cancellation may give back. */
    private static final class Deduction {
        private final int quantity;
        private boolean givenBack;

        Deduction(int quantity) {
            this.quantity = quantity;
        }
    }
}
