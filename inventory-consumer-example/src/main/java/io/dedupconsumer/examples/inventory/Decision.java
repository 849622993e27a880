package io.dedupconsumer.examples.inventory;

import io.dedupconsumer.core.HandlerResult;

/**
 * What the service decided for one stock event: applied, or refused for a {@link Refusal}. Turned into the
 * {@link HandlerResult} the dedup transaction records.
 *
 * @param refusal why the event was not applied; {@code null} when it was
 * @param detail what a human needs to understand the refusal; {@code null} when applied
 */
record Decision(Refusal refusal, String detail) {

    static final Decision APPLIED = new Decision(null, null);

    static Decision refused(Refusal refusal, String detail) {
        return new Decision(refusal, detail);
    }

    boolean applied() {
        return refusal == null;
    }

    String reason() {
        return refusal == null ? null : refusal.reason(detail);
    }

    HandlerResult handlerResult() {
        return refusal == null ? HandlerResult.processed() : HandlerResult.rejected(reason());
    }
}
