package io.dedupconsumer.examples.payment;

/** A callback body that is not a well-formed notification; the message says what is wrong, for the 400 answer. */
final class InvalidCallbackException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidCallbackException(String reason) {
        super(reason);
    }
}
