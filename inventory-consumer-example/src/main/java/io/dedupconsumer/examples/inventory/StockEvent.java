package io.dedupconsumer.examples.inventory;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * A stock event as it travels on the topic, JSON keyed by SKU so that every SKU's events stay in order on one
 * partition. {@code eventId} is assigned once by the producer and is the dedup key: a re-send carries the same id and
 * the same bytes.
 *
 * <p>Parsing is strict and explains itself, because a malformed event is dead-lettered with the reason and a human
 * reads that reason.
 *
 * @param eventId the producer's id of this event, the same on every re-send
 * @param type what the event asks for
 * @param orderId the order a {@link Type#DEDUCT} belongs to, or that a {@link Type#CANCEL} cancels; {@code null} for
 *     {@link Type#RESTOCK}
 * @param sku the stock keeping unit
 * @param quantity units to take ({@link Type#DEDUCT}) or add ({@link Type#RESTOCK}); 0 for {@link Type#CANCEL}, which
 *     gives back what the order's deduction actually took
 * @param occurredAt when the business event happened
 */
public record StockEvent(String eventId, Type type, String orderId, String sku, int quantity, Instant occurredAt) {

    /** The longest SKU and order id the tables hold. */
    public static final int MAX_ID_LENGTH = 64;

    /** The largest quantity one event may move; anything above is taken for a producer bug. */
    public static final int MAX_QUANTITY = 1_000_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a stock event asks for. */
    public enum Type {
        /** Take {@code quantity} units for an order, only if that many are available. */
        DEDUCT,
        /** Compensation: give back what the order's deduction of this SKU took, only if it was applied and not yet given back. */
        CANCEL,
        /** Add {@code quantity} units (a delivery arrived). */
        RESTOCK
    }

    /** Checks the fields, so that a {@code StockEvent} in hand is always a well-formed one. */
    public StockEvent {
        Objects.requireNonNull(type, "type");
        requireId(eventId, "eventId", 255);
        requireId(sku, "sku", MAX_ID_LENGTH);
        Objects.requireNonNull(occurredAt, "occurredAt");
        switch (type) {
            case DEDUCT -> {
                requireId(orderId, "orderId", MAX_ID_LENGTH);
                requireQuantity(quantity);
            }
            case CANCEL -> {
                requireId(orderId, "orderId", MAX_ID_LENGTH);
                if (quantity != 0) {
                    throw new MalformedEventException("quantity: a CANCEL gives back what the deduction took and "
                            + "carries no quantity, was " + quantity);
                }
            }
            case RESTOCK -> {
                if (orderId != null) {
                    throw new MalformedEventException("orderId: a RESTOCK belongs to no order, was '" + orderId + "'");
                }
                requireQuantity(quantity);
            }
        }
    }

    /** A deduction of {@code quantity} units of {@code sku} for {@code orderId}. */
    public static StockEvent deduct(String eventId, String orderId, String sku, int quantity, Instant occurredAt) {
        return new StockEvent(eventId, Type.DEDUCT, orderId, sku, quantity, occurredAt);
    }

    /** The compensation of {@code orderId}'s deduction of {@code sku}. */
    public static StockEvent cancel(String eventId, String orderId, String sku, Instant occurredAt) {
        return new StockEvent(eventId, Type.CANCEL, orderId, sku, 0, occurredAt);
    }

    /** A delivery of {@code quantity} units of {@code sku}. */
    public static StockEvent restock(String eventId, String sku, int quantity, Instant occurredAt) {
        return new StockEvent(eventId, Type.RESTOCK, null, sku, quantity, occurredAt);
    }

    /**
     * Reads an event from its JSON text.
     *
     * @throws MalformedEventException naming the field that is missing, of the wrong kind or out of range
     */
    public static StockEvent parse(String json) {
        if (json == null) {
            throw new MalformedEventException("the record has no value");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new MalformedEventException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new MalformedEventException("not a JSON object");
        }
        String typeName = text(root, "type", true);
        Type type;
        try {
            type = Type.valueOf(typeName);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("type: '" + typeName + "' is not one of DEDUCT, CANCEL, RESTOCK");
        }
        JsonNode quantity = root.get("quantity");
        int units = 0;
        if (quantity != null && !quantity.isNull()) {
            if (!quantity.isIntegralNumber() || !quantity.canConvertToInt()) {
                throw new MalformedEventException("quantity: not a whole number: " + quantity);
            }
            units = quantity.intValue();
        } else if (type != Type.CANCEL) {
            throw new MalformedEventException("quantity: missing");
        }
        String occurred = text(root, "occurredAt", true);
        Instant occurredAt;
        try {
            occurredAt = Instant.parse(occurred);
        } catch (DateTimeParseException e) {
            throw new MalformedEventException("occurredAt: '" + occurred + "' is not an ISO-8601 instant");
        }
        return new StockEvent(text(root, "eventId", true), type, text(root, "orderId", false), text(root, "sku", true),
                units, occurredAt);
    }

    /** The event as the JSON text a producer sends. */
    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("eventId", eventId);
        node.put("type", type.name());
        if (orderId != null) {
            node.put("orderId", orderId);
        }
        node.put("sku", sku);
        if (type != Type.CANCEL) {
            node.put("quantity", quantity);
        }
        node.put("occurredAt", occurredAt.toString());
        return node.toString();
    }

    private static String text(JsonNode root, String field, boolean required) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new MalformedEventException(field + ": missing");
            }
            return null;
        }
        if (!node.isString()) {
            throw new MalformedEventException(field + ": not a string: " + node);
        }
        return node.stringValue();
    }

    private static void requireId(String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            throw new MalformedEventException(field + ": missing or blank");
        }
        if (value.length() > maxLength) {
            throw new MalformedEventException(field + ": longer than " + maxLength + " characters");
        }
    }

    private static void requireQuantity(int quantity) {
        if (quantity < 1 || quantity > MAX_QUANTITY) {
            throw new MalformedEventException("quantity: " + quantity + " is out of range; use 1 to " + MAX_QUANTITY);
        }
    }
}
