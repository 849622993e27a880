package io.dedupconsumer.examples.payment;

/**
 * What a provider's callback reports about one provider transaction, and the move it asks of the order. The dedup key
 * is the provider transaction id plus this type: a SUCCESS and a FAILED of one transaction are two events, while every
 * re-send of either is the same event.
 */
enum CallbackType {
    /** The customer paid: {@link Transition#PAY}. */
    SUCCESS(Transition.PAY),
    /** The attempt failed: {@link Transition#FAIL_ATTEMPT}. */
    FAILED(Transition.FAIL_ATTEMPT);

    private final Transition transition;

    CallbackType(Transition transition) {
        this.transition = transition;
    }

    /** The move this callback asks for. */
    Transition transition() {
        return transition;
    }
}
