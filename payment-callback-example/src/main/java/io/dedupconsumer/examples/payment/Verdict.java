package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.HandlerResult;

/**
 * What the consumer made of one callback. Every callback ends in exactly one verdict, kept in the dedup table as
 * the record's outcome ({@code PROCESSED}) or its rejection reason ({@code REJECTED}, text {@code "<VERDICT>: detail"}),
 * so an operator can count them and nothing is dropped without a trace.
 */
enum Verdict {
    /** SUCCESS while pending: the order is PAID and one payment row was written. */
    PAID(false),
    /** FAILED while pending: the attempt is recorded; the order stays payable. */
    ATTEMPT_FAILED(false),
    /**
     * SUCCESS for an order that cannot be paid any more (closed, paid by another transaction, shipped, refunded): the
     * money is recorded in {@code refund_followup}, the order does not move.
     */
    REFUND_FOLLOWUP(true),
    /**
     * FAILED for an order that is not waiting for a payment (a late or out-of-order failure, e.g. of an earlier attempt
     * after the order was paid): ignored, the order does not move.
     */
    FAILURE_IGNORED(true),
    /** SUCCESS whose amount or currency differs from the order's: not applied, recorded and alerted. */
    AMOUNT_MISMATCH(true),
    /** A callback for an order this merchant does not know: not applied, recorded and alerted. */
    UNKNOWN_ORDER(true);

    private final boolean rejection;

    Verdict(boolean rejection) {
        this.rejection = rejection;
    }

    /** The handler's result: processed, or rejected with {@code "<VERDICT>: detail"}. */
    HandlerResult result(String detail) {
        return rejection ? HandlerResult.rejected(name() + ": " + detail) : HandlerResult.processed();
    }

    /** The verdict a stored rejection reason names, or {@code null} when it names none. */
    static Verdict ofReason(String reason) {
        if (reason == null) {
            return null;
        }
        int colon = reason.indexOf(':');
        String name = colon < 0 ? reason : reason.substring(0, colon);
        for (Verdict verdict : values()) {
            if (verdict.name().equals(name)) {
                return verdict;
            }
        }
        return null;
    }
}
