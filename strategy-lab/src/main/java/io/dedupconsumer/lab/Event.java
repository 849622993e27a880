package io.dedupconsumer.lab;

import java.util.Objects;

/**
 * One business event as a consumer receives it: debit {@code amount} from account {@code accountId}, once.
 * Every delivery of the same event carries the same id and payload.
 */
record Event(String id, long accountId, long amount) {

    Event {
        Objects.requireNonNull(id, "id");
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
    }

    /** The payload as it would travel on the wire; what a fingerprint is computed from. */
    String payload() {
        return "{\"event\":\"" + id + "\",\"account\":" + accountId + ",\"amount\":" + amount + "}";
    }
}
