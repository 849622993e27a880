package io.dedupconsumer.spring;

import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.kafka.DeadLetter;
import io.dedupconsumer.kafka.DeadLetterHeaders;
import io.dedupconsumer.kafka.DeadLetterReason;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.CommonDelegatingErrorHandler;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RetryListener;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.util.backoff.BackOff;

/**
 * The spring-kafka error handling a deduplicated listener needs, as building blocks for an application that
 * configures its own error handling (a deduplicated listener whose container has no error handler gets one built
 * from these).
 *
 * <ul>
 *   <li>A database outage ({@link DatabaseUnavailableException}: unreachable, refusing the work whatever the record —
 *       the dedup table missing, read-only, permission denied — or a lock that outlasts the transaction timeout) is
 *       retried without end and never dead-lettered: the record's effect has not happened, it is not the record's
 *       fault, and skipping it would lose it.</li>
 *   <li>A record no retry can fix — undeserializable, without a usable dedup key, or in conflict
 *       ({@link UnprocessableRecordException}) — is dead-lettered at once.</li>
 *   <li>Any other failure of the listener is retried with backoff, then dead-lettered.</li>
 * </ul>
 * Dead letters keep the original bytes and carry the outcome and reason in {@value #OUTCOME_HEADER} and
 * {@value #REASON_HEADER}; the offset is committed only after the dead letter was sent.
 *
 * <p>An application that keeps its own {@code CommonErrorHandler} (say a {@code DefaultErrorHandler} with its own
 * recoverer) gets it wrapped by {@link #withOutageHandling}: outages go to a handler that retries them without end,
 * everything else to the application's handler, unchanged.
 */
public final class DedupErrorHandling {

    /** Dead-letter header: {@code INVALID}, {@code CONFLICT} or {@code FAILED} (the listener kept failing). */
    public static final String OUTCOME_HEADER = DeadLetterHeaders.OUTCOME;
    /** Dead-letter header: why the record could not be processed. */
    public static final String REASON_HEADER = DeadLetterHeaders.REASON;
    /** The dead-letter topic of topic {@code t} is {@code t} followed by this suffix. */
    public static final String DEAD_LETTER_SUFFIX = DeadLetter.TOPIC_SUFFIX;

    private static final int MAX_DEPTH = 16;

    private DedupErrorHandling() {
    }

    /**
     * A recoverer that publishes the dead letters of {@link DeadLetter}, the contract the kafka-clients runner keeps
     * too: {@code <topic>-dlt}, the source partition when the dead-letter topic has it, the contract's headers.
     *
     * @param template a template whose serializers write the consumed values unchanged ({@code byte[]} stays bytes);
     *     the original bytes of an undeserializable record are always published as bytes
     */
    public static DeadLetterPublishingRecoverer deadLetterRecoverer(KafkaOperations<?, ?> template) {
        return new DeadLetterRecoverer.ContractPublisher(template, true);
    }

    /**
     * The error handler: {@code retries} for listener failures before {@code recoverer} gets the record,
     * {@code outages} (which should never stop) between attempts while the database is unavailable. Each failed
     * attempt is logged at WARN and each record given up at ERROR, with its topic, partition and offset and the
     * reason, never its payload.
     */
    public static DefaultErrorHandler errorHandler(ConsumerRecordRecoverer recoverer, BackOff retries, BackOff outages) {
        return errorHandler(recoverer, retries, outages, ListenerFailures.NONE);
    }

    static DefaultErrorHandler errorHandler(ConsumerRecordRecoverer recoverer, BackOff retries, BackOff outages,
            ListenerFailures failures) {
        DefaultErrorHandler handler = new OutageAwareErrorHandler(recoverer, retries);
        handler.addNotRetryableExceptions(UnprocessableRecordException.class);
        handler.setBackOffFunction((record, exception) -> isOutage(exception) ? outages : null);
        handler.setRetryListeners(new FailureLog(failures));
        return handler;
    }

    /**
     * Wraps an application's error handler so that a database outage (and a conflict under the {@code FAIL} policy)
     * is retried without end by a handler of the library's, while everything else goes to the application's handler
     * unchanged. A handler built by {@link #errorHandler} already does this and is returned as it is.
     *
     * @throws IllegalArgumentException when the application's handler cannot be combined with one that retries,
     *     i.e. it does not seek back to a failed record (a {@code CommonLoggingErrorHandler}, say, skips it); use a
     *     {@code DefaultErrorHandler}, or build one with {@link #errorHandler}
     */
    public static CommonErrorHandler withOutageHandling(CommonErrorHandler handler, BackOff outages) {
        return withOutageHandling(handler, outages, ListenerFailures.NONE);
    }

    static CommonErrorHandler withOutageHandling(CommonErrorHandler handler, BackOff outages, ListenerFailures failures) {
        Objects.requireNonNull(handler, "handler");
        if (handlesOutages(handler)) {
            return handler;
        }
        DefaultErrorHandler outageHandler = new OutageAwareErrorHandler((record, exception) -> {
            throw new IllegalStateException("an outage is never recovered: " + exception);
        }, outages);
        outageHandler.setRetryListeners(new FailureLog(failures));
        CommonDelegatingErrorHandler combined = new OutageAwareDelegatingHandler(handler);
        combined.setCauseChainTraversing(true);
        try {
            combined.addDelegate(DatabaseUnavailableException.class, outageHandler);
            combined.addDelegate(UnresolvedConflictException.class, outageHandler);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the error handler " + handler + " cannot be combined with the retries "
                    + "a database outage needs (" + e.getMessage() + "): it does not seek back to a failed record, so "
                    + "an outage would skip records. Use a DefaultErrorHandler (with your own recoverer and backoff), "
                    + "or DedupErrorHandling.errorHandler(recoverer, retries, outages)");
        }
        return combined;
    }

    /** Whether the handler keeps outages apart already (one of ours, or an application's wrapped by us). */
    static boolean handlesOutages(CommonErrorHandler handler) {
        return handler instanceof OutageAwareErrorHandler || handler instanceof OutageAwareDelegatingHandler;
    }

    static boolean isOutage(Throwable exception) {
        return find(exception, DatabaseUnavailableException.class) != null
                || find(exception, UnresolvedConflictException.class) != null;
    }

    static <T extends Throwable> @Nullable T find(@Nullable Throwable failure, Class<T> type) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return null;
    }

    static Throwable rootCause(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current.getCause() != null && current.getCause() != current && depth < MAX_DEPTH; depth++) {
            current = current.getCause();
        }
        return current;
    }

    /** What a failure means for the record: its dead-letter outcome and reason. */
    record Verdict(String outcome, String reason, boolean undeserializable) {

        static Verdict of(Throwable exception) {
            UnprocessableRecordException unprocessable = find(exception, UnprocessableRecordException.class);
            if (unprocessable != null) {
                return new Verdict(unprocessable.result().outcome().name(), String.valueOf(unprocessable.result().reason()),
                        false);
            }
            DeserializationException deserialization = find(exception, DeserializationException.class);
            if (deserialization != null) {
                return new Verdict(Outcome.INVALID.name(), "cannot deserialize the record's "
                        + (deserialization.isKey() ? "key" : "value") + ": " + rootCause(deserialization).getMessage(), true);
            }
            return new Verdict(DeadLetterReason.FAILED.name(), "the listener kept failing: " + rootCause(exception), false);
        }
    }

    /** Marks the handlers built here, which keep outages apart. */
    private static final class OutageAwareErrorHandler extends DefaultErrorHandler {
        OutageAwareErrorHandler(ConsumerRecordRecoverer recoverer, BackOff backOff) {
            super(recoverer, backOff);
        }
    }

    /** Marks an application's handler wrapped here. */
    private static final class OutageAwareDelegatingHandler extends CommonDelegatingErrorHandler {
        OutageAwareDelegatingHandler(CommonErrorHandler defaultHandler) {
            super(defaultHandler);
        }
    }

    /** Logs each failed attempt at WARN and each record given up at ERROR; never the payload. */
    private record FailureLog(ListenerFailures failures) implements RetryListener {

        @Override
        public void failedDelivery(ConsumerRecord<?, ?> record, Exception ex, int deliveryAttempt) {
            failures.attemptFailed(record, ex, deliveryAttempt);
        }

        @Override
        public void recovered(ConsumerRecord<?, ?> record, Exception ex) {
            failures.gaveUp(record, Verdict.of(ex));
        }

        @Override
        public void recoveryFailed(ConsumerRecord<?, ?> record, Exception original, Exception failure) {
            failures.recoveryFailed(record, failure);
        }
    }
}
