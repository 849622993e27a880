package io.dedupconsumer.examples.payment;

import static io.dedupconsumer.examples.payment.OrderStatus.CLOSED;
import static io.dedupconsumer.examples.payment.OrderStatus.CREATED;
import static io.dedupconsumer.examples.payment.OrderStatus.PAID;
import static io.dedupconsumer.examples.payment.OrderStatus.PENDING_PAYMENT;
import static io.dedupconsumer.examples.payment.OrderStatus.REFUNDED;
import static io.dedupconsumer.examples.payment.OrderStatus.SHIPPED;

/**
 * Every move an order may make, in one place: the state machine's whole table. Each move is applied as one
 * conditional statement, {@code UPDATE orders SET status = to, version = version + 1 WHERE id = ? AND status = from},
 * so it happens only if the order is in {@code from} at that instant; 0 rows means "not now" (late, out of order or
 * already done), a business outcome for the caller to record, never a reason to overwrite. Nothing reads the status
 * in Java to decide whether to write it.
 *
 * <p>Each move has exactly one source status, so the statement's {@code WHERE} names one status and the exhaustive
 * tests (every status × every transition) read straight off this table.
 */
enum Transition {
    /** The customer was sent to the provider's payment page. */
    SUBMIT_PAYMENT(CREATED, PENDING_PAYMENT),
    /** A SUCCESS callback: the money arrived while the order was waiting for it. */
    PAY(PENDING_PAYMENT, PAID),
    /**
     * A FAILED callback (declined card, abandoned page) while the order waits: it stays payable, because the customer
     * may try again with another provider transaction. The move still locks the row and counts in the version, so a
     * failure and a success racing for one order are serialized.
     */
    FAIL_ATTEMPT(PENDING_PAYMENT, PENDING_PAYMENT),
    /** The merchant handed a paid order to the carrier. */
    SHIP(PAID, SHIPPED),
    /** The customer cancelled before paying. */
    CANCEL(CREATED, CLOSED),
    /** The payment window expired without a SUCCESS. */
    EXPIRE(PENDING_PAYMENT, CLOSED),
    /** The merchant refunded a paid order. */
    REFUND(PAID, REFUNDED),
    /** The merchant refunded a shipped order (returned goods). */
    REFUND_SHIPPED(SHIPPED, REFUNDED);

    private final OrderStatus from;
    private final OrderStatus to;

    Transition(OrderStatus from, OrderStatus to) {
        this.from = from;
        this.to = to;
    }

    /** The only status this move starts from. */
    OrderStatus from() {
        return from;
    }

    /** The status after the move. */
    OrderStatus to() {
        return to;
    }
}
