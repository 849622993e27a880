package io.dedupconsumer.examples.payment;

/** Where an order is in its life. Which status may follow which is decided by {@link Transition} alone. */
enum OrderStatus {
    /** Placed; no payment started. */
    CREATED,
    /** The customer was sent to the payment provider; a callback is expected. */
    PENDING_PAYMENT,
    /** The provider confirmed the money; exactly one {@code payment} row exists. */
    PAID,
    /** Paid and handed to the carrier. */
    SHIPPED,
    /** Cancelled or expired unpaid. Terminal: money that arrives now is a refund follow-up. */
    CLOSED,
    /** Paid, then refunded. Terminal. */
    REFUNDED
}
