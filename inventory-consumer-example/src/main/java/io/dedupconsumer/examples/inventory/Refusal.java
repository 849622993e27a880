package io.dedupconsumer.examples.inventory;

/**
 * Why the service did not apply a stock event. Every refusal is a recorded business outcome
 * ({@code HandlerResult.rejected}): it commits with the event's claim, so a redelivery is a duplicate of it and is
 * never retried. The ones a human must look at are also dead-lettered.
 */
public enum Refusal {
    /** Fewer units available than the deduction asks for: {@code UPDATE ... WHERE available >= ?} changed 0 rows. */
    OUT_OF_STOCK(false),
    /** A cancellation of a deduction that was never applied, or was already given back. */
    NOTHING_TO_CANCEL(false),
    /** The SKU is not in the stock table: an upstream error, dead-lettered. */
    UNKNOWN_SKU(true),
    /** The event cannot be read as a stock event: dead-lettered with the field at fault. */
    MALFORMED(true);

    private final boolean deadLettered;

    Refusal(boolean deadLettered) {
        this.deadLettered = deadLettered;
    }

    /** Whether an event refused for this reason is also published to the dead-letter topic. */
    public boolean deadLettered() {
        return deadLettered;
    }

    /** The reason recorded in the dedup table: the refusal's name, a colon, the detail. */
    String reason(String detail) {
        return name() + ": " + detail;
    }
}
