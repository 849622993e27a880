package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.examples.inventory.StockEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The records the demo sends, in send order, generated from a seed: unique stock events on SKUs of skewed popularity
 * (so that hot SKUs run out of stock and cold ones do not), cancellations of earlier orders (some of them already
 * cancelled or never applied), restocks, bad events, exact re-sends of earlier events and same-id conflicts. Every
 * copy comes after its original, keyed by the same SKU, so it lands later on the same partition.
 *
 * <p>Names carry the run id, so runs never collide on a shared broker or database.
 *
 * @param runId the prefix of every SKU, order id and event id of this run
 * @param skus the SKUs seeded with stock
 * @param initialStock units of every SKU at the start
 * @param records what to send, in order
 */
record Workload(String runId, List<String> skus, int initialStock, List<Sent> records) {

    /** What a record is, as the generator made it; the model decides what each one must lead to. */
    enum Kind {
        /** A well-formed event on a known SKU, sent for the first time. */
        EVENT,
        /** A well-formed event on a SKU that is not in the stock table. */
        UNKNOWN_SKU,
        /** An event with an event id that cannot be read as a stock event. */
        MALFORMED,
        /** A record without a usable event id: not JSON, no id, or an id longer than the dedup table holds. */
        NO_KEY,
        /** An exact re-send (same bytes) of an earlier record. */
        DUPLICATE,
        /** An earlier event id re-sent with another quantity. */
        CONFLICT
    }

    /**
     * One record to send.
     *
     * @param key the record key: the SKU
     * @param value the JSON text (or not, for some bad records)
     * @param kind what it is
     * @param eventId its event id, or {@code null} for {@link Kind#NO_KEY}
     */
    record Sent(String key, String value, Kind kind, String eventId) {
    }

    private static final Instant BASE = Instant.parse("2026-01-05T08:00:00Z");
    /** Shares of the unique events: deductions below DEDUCT, cancellations below CANCEL, restocks above. */
    private static final double DEDUCT = 0.78;
    private static final double CANCEL = 0.92;
    private static final int MAX_DEDUCT = 5;
    private static final int RESTOCK_MIN = 5;
    private static final int RESTOCK_SPREAD = 11;
    /** How far, in records, a re-send may trail its original. */
    private static final int COPY_WINDOW = 400;

    Workload {
        skus = List.copyOf(skus);
        records = List.copyOf(records);
    }

    /** Generates the workload of {@code options} for run {@code runId}. */
    static Workload generate(DemoOptions options, String runId) {
        return new Generator(options, runId).generate();
    }

    /** How many records of each kind. */
    Map<Kind, Integer> counts() {
        Map<Kind, Integer> counts = new HashMap<>();
        for (Kind kind : Kind.values()) {
            counts.put(kind, 0);
        }
        for (Sent sent : records) {
            counts.merge(sent.kind(), 1, Integer::sum);
        }
        return counts;
    }

    /** Builds the records; one instance per workload. */
    private static final class Generator {

        private final DemoOptions options;
        private final String runId;
        private final Random random;
        private final List<String> skus = new ArrayList<>();
        private final double[] cumulativeWeights;
        private final List<Slot> slots = new ArrayList<>();
        private final Map<String, List<String>> ordersBySku = new HashMap<>();
        private final Map<String, List<String>> cancelledBySku = new HashMap<>();
        private int sequence;

        Generator(DemoOptions options, String runId) {
            this.options = options;
            this.runId = runId;
            this.random = new Random(options.seed());
            int width = Math.max(2, String.valueOf(options.skus()).length());
            cumulativeWeights = new double[options.skus()];
            double total = 0;
            for (int k = 0; k < options.skus(); k++) {
                skus.add(runId + "-SKU-" + String.format("%0" + width + "d", k + 1));
                total += 1.0 / (k + 1);
                cumulativeWeights[k] = total;
            }
            for (int k = 0; k < options.skus(); k++) {
                cumulativeWeights[k] /= total;
            }
        }

        Workload generate() {
            List<Slot> originals = new ArrayList<>(options.events());
            for (int i = 0; i < options.events(); i++) {
                StockEvent event = event(i);
                Slot slot = new Slot(i, sequence++, new Sent(event.sku(), event.toJson(), Kind.EVENT, event.eventId()), event);
                originals.add(slot);
                slots.add(slot);
            }
            List<Slot> withIds = new ArrayList<>(originals);
            for (int b = 0; b < options.bad(); b++) {
                Slot slot = new Slot(random.nextInt(options.events()) + 0.5, sequence++, bad(b), null);
                slots.add(slot);
                if (slot.sent().eventId() != null) {
                    withIds.add(slot);
                }
            }
            long duplicates = Math.round(options.duplicates() * withIds.size());
            for (long d = 0; d < duplicates; d++) {
                Slot original = withIds.get(random.nextInt(withIds.size()));
                Sent copy = new Sent(original.sent().key(), original.sent().value(), Kind.DUPLICATE, original.sent().eventId());
                slots.add(new Slot(later(original), sequence++, copy, original.event()));
            }
            List<Slot> quantified = new ArrayList<>();
            for (Slot slot : originals) {
                if (slot.event().type() == StockEvent.Type.DEDUCT) {
                    quantified.add(slot);
                }
            }
            Collections.shuffle(quantified, random);
            for (Slot original : quantified.subList(0, Math.min(options.conflicts(), quantified.size()))) {
                StockEvent first = original.event();
                StockEvent other = StockEvent.deduct(first.eventId(), first.orderId(), first.sku(),
                        first.quantity() + 1 + random.nextInt(3), first.occurredAt());
                slots.add(new Slot(later(original), sequence++,
                        new Sent(other.sku(), other.toJson(), Kind.CONFLICT, other.eventId()), other));
            }
            slots.sort(Comparator.comparingDouble(Slot::position).thenComparingInt(Slot::sequence));
            List<Sent> records = new ArrayList<>(slots.size());
            for (Slot slot : slots) {
                records.add(slot.sent());
            }
            return new Workload(runId, skus, initialStock(), records);
        }

        private StockEvent event(int i) {
            String eventId = runId + "-e" + String.format("%07d", i);
            Instant at = BASE.plus(Duration.ofMillis(10L * i));
            String sku = pickSku();
            List<String> orders = ordersBySku.computeIfAbsent(sku, s -> new ArrayList<>());
            double draw = random.nextDouble();
            StockEvent event;
            if (draw < DEDUCT || orders.isEmpty()) {
                String orderId = runId + "-o" + String.format("%07d", i);
                orders.add(orderId);
                event = StockEvent.deduct(eventId, orderId, sku, 1 + random.nextInt(MAX_DEDUCT), at);
            } else if (draw < CANCEL) {
                List<String> cancelled = cancelledBySku.computeIfAbsent(sku, s -> new ArrayList<>());
                // A quarter of the cancellations cancel again an order already cancelled: compensation is conditional.
                String orderId = !cancelled.isEmpty() && random.nextInt(4) == 0
                        ? cancelled.get(random.nextInt(cancelled.size()))
                        : orders.get(random.nextInt(orders.size()));
                cancelled.add(orderId);
                event = StockEvent.cancel(eventId, orderId, sku, at);
            } else {
                event = StockEvent.restock(eventId, sku, RESTOCK_MIN + random.nextInt(RESTOCK_SPREAD), at);
            }
            return event;
        }

        private Sent bad(int b) {
            String eventId = runId + "-b" + String.format("%05d", b);
            String sku = pickSku();
            Instant at = BASE.plus(Duration.ofMillis(10L * b));
            return switch (b % 3) {
                case 0 -> {
                    String unknown = runId + "-NOSKU-" + String.format("%02d", b);
                    yield new Sent(unknown, StockEvent.deduct(eventId, runId + "-ob" + b, unknown, 1, at).toJson(),
                            Kind.UNKNOWN_SKU, eventId);
                }
                case 1 -> new Sent(sku, switch ((b / 3) % 4) {
                    case 0 -> "{\"eventId\":\"" + eventId + "\",\"type\":\"DEDUCT\",\"orderId\":\"" + runId + "-ob" + b
                            + "\",\"sku\":\"" + sku + "\",\"quantity\":-3,\"occurredAt\":\"" + at + "\"}";
                    case 1 -> "{\"eventId\":\"" + eventId + "\",\"type\":\"TELEPORT\",\"sku\":\"" + sku
                            + "\",\"quantity\":2,\"occurredAt\":\"" + at + "\"}";
                    case 2 -> "{\"eventId\":\"" + eventId + "\",\"type\":\"RESTOCK\",\"quantity\":5,\"occurredAt\":\""
                            + at + "\"}";
                    default -> "{\"eventId\":\"" + eventId + "\",\"type\":\"RESTOCK\",\"sku\":\"" + sku
                            + "\",\"quantity\":\"lots\",\"occurredAt\":\"" + at + "\"}";
                }, Kind.MALFORMED, eventId);
                default -> new Sent(sku, switch ((b / 3) % 3) {
                    case 0 -> "stock event " + b + ", but not JSON";
                    case 1 -> "{\"type\":\"DEDUCT\",\"orderId\":\"" + runId + "-ob" + b + "\",\"sku\":\"" + sku
                            + "\",\"quantity\":1,\"occurredAt\":\"" + at + "\"}";
                    default -> "{\"eventId\":\"" + eventId + "-" + "x".repeat(300) + "\",\"type\":\"RESTOCK\",\"sku\":\""
                            + sku + "\",\"quantity\":1,\"occurredAt\":\"" + at + "\"}";
                }, Kind.NO_KEY, null);
            };
        }

        private double later(Slot original) {
            return original.position() + 0.25 + random.nextDouble() * COPY_WINDOW;
        }

        private String pickSku() {
            double draw = random.nextDouble();
            for (int k = 0; k < cumulativeWeights.length; k++) {
                if (draw < cumulativeWeights[k]) {
                    return skus.get(k);
                }
            }
            return skus.get(skus.size() - 1);
        }

        /**
         * The initial stock when the options leave it open: 80% of what the average SKU's deductions ask for beyond
         * its restocks and (about half of its) cancellations, so the hot SKUs run out partway through and the cold
         * ones never do.
         */
        private int initialStock() {
            if (options.initialStock() > 0) {
                return options.initialStock();
            }
            double meanDeduction = (1 + MAX_DEDUCT) / 2.0;
            double demand = options.events() * DEDUCT * meanDeduction;
            double givenBack = options.events() * (CANCEL - DEDUCT) * meanDeduction / 2;
            double supply = options.events() * (1 - CANCEL) * (RESTOCK_MIN + (RESTOCK_SPREAD - 1) / 2.0);
            return (int) Math.max(10, Math.ceil(0.8 * (demand - givenBack - supply) / options.skus()));
        }

        /** A record, the event it carries (when well-formed), and where it goes in the send order. */
        private record Slot(double position, int sequence, Sent sent, StockEvent event) {
        }
    }
}
