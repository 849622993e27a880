package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.StockEvent;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the run must end with, computed from the workload alone, independently of the service's SQL: the unique events
 * (the first record of each event id) applied in per-SKU order with the same rules (a deduction only if enough units
 * are available, a cancellation gives back only an applied, not yet given back deduction), every later copy a
 * duplicate or a conflict, nothing applied by the replay.
 *
 * @param stock final units per seeded SKU
 * @param ledger ledger rows by result ({@code APPLIED}, {@code OUT_OF_STOCK}, {@code NOTHING_TO_CANCEL})
 * @param refusals recorded refusals by reason
 * @param live outcomes of the live pass
 * @param replay outcomes of the replay
 * @param deadLettersLive records dead-lettered by the live pass
 * @param deadLettersReplay records dead-lettered by the replay (no-key records and conflicts, again)
 * @param deadLetterOutcomes dead letters of both passes by their {@code dedup-outcome} header
 */
record Expectation(Map<String, Integer> stock, Map<String, Long> ledger, Map<Refusal, Long> refusals,
        Map<Outcome, Long> live, Map<Outcome, Long> replay, long deadLettersLive, long deadLettersReplay,
        Map<String, Long> deadLetterOutcomes) {

    static final String APPLIED = "APPLIED";
    static final List<String> LEDGER_RESULTS = List.of(APPLIED, Refusal.OUT_OF_STOCK.name(),
            Refusal.NOTHING_TO_CANCEL.name());

    /** Runs the model over the workload's records in send order (which is, per SKU, partition order). */
    static Expectation of(Workload workload) {
        Map<String, Integer> stock = new TreeMap<>();
        for (String sku : workload.skus()) {
            stock.put(sku, workload.initialStock());
        }
        Map<String, Long> ledger = new LinkedHashMap<>();
        LEDGER_RESULTS.forEach(result -> ledger.put(result, 0L));
        Map<Refusal, Long> refusals = zeros(Refusal.class);
        Map<Outcome, Long> live = zeros(Outcome.class);
        Map<Outcome, Long> replay = zeros(Outcome.class);
        Map<String, String> firstPayload = new HashMap<>();
        Map<String, List<Deduction>> deductions = new HashMap<>();
        long deadLettersLive = 0;
        long deadLettersReplay = 0;
        Map<String, Long> deadLetterOutcomes = new TreeMap<>();
        for (Workload.Sent sent : workload.records()) {
            if (sent.eventId() == null) {
                live.merge(Outcome.INVALID, 1L, Long::sum);
                replay.merge(Outcome.INVALID, 1L, Long::sum);
                deadLettersLive++;
                deadLettersReplay++;
                deadLetterOutcomes.merge(Outcome.INVALID.name(), 2L, Long::sum);
                continue;
            }
            String first = firstPayload.putIfAbsent(sent.eventId(), sent.value());
            if (first != null) {
                Outcome outcome = first.equals(sent.value()) ? Outcome.DUPLICATE : Outcome.CONFLICT;
                live.merge(outcome, 1L, Long::sum);
                replay.merge(outcome, 1L, Long::sum);
                if (outcome == Outcome.CONFLICT) {
                    deadLettersLive++;
                    deadLettersReplay++;
                    deadLetterOutcomes.merge(Outcome.CONFLICT.name(), 2L, Long::sum);
                }
                continue;
            }
            // The replay finds every first record's claim: a duplicate of whatever the live pass decided.
            replay.merge(Outcome.DUPLICATE, 1L, Long::sum);
            Refusal refusal = switch (sent.kind()) {
                case UNKNOWN_SKU -> Refusal.UNKNOWN_SKU;
                case MALFORMED -> Refusal.MALFORMED;
                case EVENT -> apply(StockEvent.parse(sent.value()), stock, deductions, ledger);
                default -> throw new IllegalStateException("a " + sent.kind() + " record cannot come first: " + sent);
            };
            if (refusal == null) {
                live.merge(Outcome.PROCESSED, 1L, Long::sum);
            } else {
                live.merge(Outcome.REJECTED, 1L, Long::sum);
                refusals.merge(refusal, 1L, Long::sum);
                if (refusal.deadLettered()) {
                    deadLettersLive++;
                    deadLetterOutcomes.merge(Outcome.REJECTED.name(), 1L, Long::sum);
                }
            }
        }
        return new Expectation(stock, ledger, refusals, live, replay, deadLettersLive, deadLettersReplay,
                deadLetterOutcomes);
    }

    /** Records sent, which is also what each pass must consume. */
    long records() {
        return live.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Rows the dedup table must hold for the run: one per event id, applied or refused. */
    long claims() {
        return live.get(Outcome.PROCESSED) + live.get(Outcome.REJECTED);
    }

    long ledgerRows() {
        return ledger.values().stream().mapToLong(Long::longValue).sum();
    }

    private static Refusal apply(StockEvent event, Map<String, Integer> stock, Map<String, List<Deduction>> deductions,
            Map<String, Long> ledger) {
        int available = stock.get(event.sku());
        Refusal refusal = null;
        switch (event.type()) {
            case DEDUCT -> {
                if (available >= event.quantity()) {
                    stock.put(event.sku(), available - event.quantity());
                    deductions.computeIfAbsent(event.orderId() + "\u0000" + event.sku(), k -> new ArrayList<>())
                            .add(new Deduction(event.quantity()));
                } else {
                    refusal = Refusal.OUT_OF_STOCK;
                }
            }
            case CANCEL -> {
                int back = 0;
                for (Deduction deduction : deductions.getOrDefault(event.orderId() + "\u0000" + event.sku(), List.of())) {
                    if (!deduction.givenBack) {
                        deduction.givenBack = true;
                        back += deduction.quantity;
                    }
                }
                if (back > 0) {
                    stock.put(event.sku(), available + back);
                } else {
                    refusal = Refusal.NOTHING_TO_CANCEL;
                }
            }
            case RESTOCK -> stock.put(event.sku(), available + event.quantity());
        }
        ledger.merge(refusal == null ? APPLIED : refusal.name(), 1L, Long::sum);
        return refusal;
    }

    private static <E extends Enum<E>> Map<E, Long> zeros(Class<E> type) {
        Map<E, Long> map = new EnumMap<>(type);
        for (E value : type.getEnumConstants()) {
            map.put(value, 0L);
        }
        return map;
    }

    /** An applied deduction the model may give back once. */
    private static final class Deduction {
        final int quantity;
        boolean givenBack;

        Deduction(int quantity) {
            this.quantity = quantity;
        }
    }
}
