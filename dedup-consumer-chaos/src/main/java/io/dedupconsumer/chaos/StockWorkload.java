package io.dedupconsumer.chaos;

import io.dedupconsumer.examples.inventory.StockEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An endless, seeded stream of stock event records the way a real upstream sends them: deductions, cancellations and
 * restocks on SKUs of skewed popularity (hot SKUs run out of stock, so decisions depend on order), exact re-sends of
 * recent records (a producer retry, a double click), the same event id re-sent with another quantity (a conflict), and
 * a few records the service must refuse (unknown SKU, malformed, no usable event id). Every copy is keyed by the same
 * SKU as its original, so it lands later on the same partition. The same seed and run id give the same records.
 *
 * <p>Not thread-safe: one producer thread draws from it.
 */
final class StockWorkload {

    /** What a record is, as generated. */
    enum Kind {
        /** A well-formed event on a known SKU, sent for the first time. */
        EVENT,
        /** An exact re-send of an earlier record. */
        DUPLICATE,
        /** An earlier deduction's event id re-sent with another quantity. */
        CONFLICT,
        /** A well-formed event on a SKU the stock table does not know. */
        UNKNOWN_SKU,
        /** An event id on something that is not a valid stock event. */
        MALFORMED,
        /** No usable event id at all. */
        NO_KEY
    }

    /**
     * One record to send.
     *
     * @param key the record key (the SKU)
     * @param value the JSON text (or not, for some bad records)
     * @param kind what it is
     */
    record Message(String key, String value, Kind kind) {
    }

    /**
     * The shares of the records that are not plain new events.
     *
     * @param duplicates share of exact re-sends (0.2: one record in five)
     * @param conflicts share of same-id conflicts
     * @param bad share of records the service must refuse
     */
    record Mix(double duplicates, double conflicts, double bad) {
        Mix {
            if (duplicates < 0 || conflicts < 0 || bad < 0 || duplicates + conflicts + bad >= 1) {
                throw new IllegalArgumentException("workload mix: shares must be >= 0 and sum to less than 1, were "
                        + duplicates + " + " + conflicts + " + " + bad);
            }
        }
    }

    /** About 20% exact re-sends, 1% conflicts and 0.5% bad records. */
    static final Mix DEFAULT_MIX = new Mix(0.20, 0.01, 0.005);

    private static final Instant BASE = Instant.parse("2026-01-05T08:00:00Z");
    private static final double DEDUCT = 0.75;
    private static final double CANCEL = 0.87;
    private static final int MAX_DEDUCT = 5;
    private static final int RESTOCK_MIN = 8;
    private static final int RESTOCK_SPREAD = 13;
    /** How many recent records a copy may repeat, and how many recent orders per SKU a cancellation may pick. */
    private static final int WINDOW = 1_000;
    private static final int ORDERS_PER_SKU = 200;

    private final String runId;
    private final Mix mix;
    private final Random random;
    private final List<String> skus = new ArrayList<>();
    private final double[] cumulativeWeights;
    private final int initialStock;
    private final ArrayDeque<Message> recent = new ArrayDeque<>();
    private final ArrayDeque<StockEvent> recentDeductions = new ArrayDeque<>();
    private final Map<String, ArrayDeque<String>> orders = new HashMap<>();
    private final Map<String, ArrayDeque<String>> cancelled = new HashMap<>();
    private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    private long events;
    private long bad;

    /**
     * @param runId prefix of every SKU, order id and event id, so that runs never collide on a shared broker or database
     * @param skuCount SKUs in the stock table
     * @param initialStock units of every SKU at the start
     * @param seed seed of every random choice
     * @param mix shares of re-sends, conflicts and bad records
     */
    StockWorkload(String runId, int skuCount, int initialStock, long seed, Mix mix) {
        if (skuCount < 1) {
            throw new IllegalArgumentException("skus: must be at least 1, was " + skuCount);
        }
        this.runId = runId;
        this.mix = mix;
        this.initialStock = initialStock;
        this.random = new Random(seed);
        cumulativeWeights = new double[skuCount];
        double total = 0;
        for (int k = 0; k < skuCount; k++) {
            skus.add(String.format("%s-SKU-%03d", runId, k + 1));
            total += 1.0 / (k + 1);
            cumulativeWeights[k] = total;
        }
        for (int k = 0; k < skuCount; k++) {
            cumulativeWeights[k] /= total;
        }
        for (Kind kind : Kind.values()) {
            counts.put(kind, 0L);
        }
    }

    List<String> skus() {
        return Collections.unmodifiableList(skus);
    }

    /** Units per SKU at the start: what to seed the stock table with, and the model's starting point. */
    Map<String, Integer> initialStock() {
        Map<String, Integer> stock = new LinkedHashMap<>();
        skus.forEach(sku -> stock.put(sku, initialStock));
        return stock;
    }

    /** How many records of each kind were drawn so far. */
    Map<Kind, Long> counts() {
        return Collections.unmodifiableMap(counts);
    }

    /** Draws the next record. */
    Message next() {
        double draw = random.nextDouble();
        Message message;
        if (draw < mix.duplicates() && !recent.isEmpty()) {
            Message original = pick(recent);
            message = new Message(original.key(), original.value(), Kind.DUPLICATE);
        } else if (draw < mix.duplicates() + mix.conflicts() && !recentDeductions.isEmpty()) {
            StockEvent first = pick(recentDeductions);
            StockEvent other = StockEvent.deduct(first.eventId(), first.orderId(), first.sku(),
                    first.quantity() + 1 + random.nextInt(3), first.occurredAt());
            message = new Message(other.sku(), other.toJson(), Kind.CONFLICT);
        } else if (draw < mix.duplicates() + mix.conflicts() + mix.bad()) {
            message = bad(bad++);
        } else {
            message = event(events++);
        }
        if (message.kind() != Kind.DUPLICATE && message.kind() != Kind.CONFLICT && message.kind() != Kind.NO_KEY) {
            remember(recent, message);
        }
        counts.merge(message.kind(), 1L, Long::sum);
        return message;
    }

    private Message event(long i) {
        String eventId = String.format("%s-e%08d", runId, i);
        Instant at = BASE.plus(Duration.ofMillis(10 * i));
        String sku = pickSku();
        ArrayDeque<String> skuOrders = orders.computeIfAbsent(sku, s -> new ArrayDeque<>());
        double draw = random.nextDouble();
        StockEvent event;
        if (draw < DEDUCT || skuOrders.isEmpty()) {
            String orderId = String.format("%s-o%08d", runId, i);
            remember(skuOrders, orderId, ORDERS_PER_SKU);
            event = StockEvent.deduct(eventId, orderId, sku, 1 + random.nextInt(MAX_DEDUCT), at);
            remember(recentDeductions, event);
        } else if (draw < CANCEL) {
            ArrayDeque<String> skuCancelled = cancelled.computeIfAbsent(sku, s -> new ArrayDeque<>());
            // A quarter of the cancellations cancel an order again: compensation is conditional.
            String orderId = !skuCancelled.isEmpty() && random.nextInt(4) == 0 ? pick(skuCancelled) : pick(skuOrders);
            remember(skuCancelled, orderId, ORDERS_PER_SKU);
            event = StockEvent.cancel(eventId, orderId, sku, at);
        } else {
            event = StockEvent.restock(eventId, sku, RESTOCK_MIN + random.nextInt(RESTOCK_SPREAD), at);
        }
        return new Message(sku, event.toJson(), Kind.EVENT);
    }

    private Message bad(long b) {
        String eventId = String.format("%s-b%06d", runId, b);
        String sku = pickSku();
        Instant at = BASE.plus(Duration.ofMillis(10 * b));
        return switch ((int) (b % 3)) {
            case 0 -> {
                String unknown = runId + "-NOSKU-" + (b % 7);
                yield new Message(unknown, StockEvent.deduct(eventId, runId + "-ob" + b, unknown, 1, at).toJson(),
                        Kind.UNKNOWN_SKU);
            }
            case 1 -> new Message(sku, switch ((int) ((b / 3) % 3)) {
                case 0 -> "{\"eventId\":\"" + eventId + "\",\"type\":\"DEDUCT\",\"orderId\":\"" + runId + "-ob" + b
                        + "\",\"sku\":\"" + sku + "\",\"quantity\":-3,\"occurredAt\":\"" + at + "\"}";
                case 1 -> "{\"eventId\":\"" + eventId + "\",\"type\":\"TELEPORT\",\"sku\":\"" + sku
                        + "\",\"quantity\":2,\"occurredAt\":\"" + at + "\"}";
                default -> "{\"eventId\":\"" + eventId + "\",\"type\":\"RESTOCK\",\"sku\":\"" + sku
                        + "\",\"quantity\":\"lots\",\"occurredAt\":\"" + at + "\"}";
            }, Kind.MALFORMED);
            default -> new Message(sku, switch ((int) ((b / 3) % 3)) {
                case 0 -> "stock event " + b + ", but not JSON";
                case 1 -> "{\"type\":\"DEDUCT\",\"orderId\":\"" + runId + "-ob" + b + "\",\"sku\":\"" + sku
                        + "\",\"quantity\":1,\"occurredAt\":\"" + at + "\"}";
                default -> "{\"eventId\":\"" + eventId + "-" + "x".repeat(300) + "\",\"type\":\"RESTOCK\",\"sku\":\""
                        + sku + "\",\"quantity\":1,\"occurredAt\":\"" + at + "\"}";
            }, Kind.NO_KEY);
        };
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

    private <T> T pick(ArrayDeque<T> from) {
        int index = random.nextInt(from.size());
        int i = 0;
        for (T item : from) {
            if (i++ == index) {
                return item;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    private static <T> void remember(ArrayDeque<T> window, T item) {
        remember(window, item, WINDOW);
    }

    private static <T> void remember(ArrayDeque<T> window, T item, int size) {
        window.addLast(item);
        if (window.size() > size) {
            window.removeFirst();
        }
    }
}
