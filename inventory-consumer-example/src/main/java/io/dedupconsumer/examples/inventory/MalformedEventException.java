package io.dedupconsumer.examples.inventory;

/**
 * A stock event that cannot be applied as sent: a field is missing, of the wrong kind or out of range. Retrying
 * cannot help, so the service records it as {@code REJECTED} and dead-letters it with this message as the reason.
 */
public final class MalformedEventException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    MalformedEventException(String reason) {
        super(reason);
    }
}
