package io.dedupconsumer.spring;

import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.Outcome;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.util.backoff.BackOff;

/**
 * The spring-kafka error handling a deduplicated listener needs, as building blocks for an application that
 * configures its own container factory (the auto-configuration registers both as beans).
 *
 * <ul>
 *   <li>A database outage ({@link DatabaseUnavailableException}) is retried without end and never dead-lettered:
 *       the record's effect has not happened, and skipping it would lose it.</li>
 *   <li>A record no retry can fix — undeserializable, without a dedup key, or in conflict
 *       ({@link UnprocessableRecordException}) — is dead-lettered at once.</li>
 *   <li>Any other failure of the listener is retried with backoff, then dead-lettered.</li>
 * </ul>
 * Dead letters keep the original bytes and carry the outcome and reason in {@value #OUTCOME_HEADER} and
 * {@value #REASON_HEADER}; the offset is committed only after the dead letter was sent.
 */
public final class DedupErrorHandling {

    /** Dead-letter header: {@code INVALID}, {@code CONFLICT} or {@code FAILED} (the listener kept failing). */
    public static final String OUTCOME_HEADER = "dedup-outcome";
    /** Dead-letter header: why the record could not be processed. */
    public static final String REASON_HEADER = "dedup-reason";
    /** The dead-letter topic of topic {@code t} is {@code t} followed by this suffix. */
    public static final String DEAD_LETTER_SUFFIX = "-dlt";

    private static final int MAX_DEPTH = 16;

    private DedupErrorHandling() {
    }

    /**
     * A recoverer that publishes to {@code <topic>-dlt} (any partition, so the dead-letter topic needs no particular
     * partition count) with spring-kafka's exception headers and the dedup outcome and reason.
     *
     * @param template a template whose serializers write the consumed values unchanged ({@code byte[]} stays bytes);
     *     the original bytes of an undeserializable record are always published as bytes
     */
    public static DeadLetterPublishingRecoverer deadLetterRecoverer(KafkaOperations<?, ?> template) {
        DeadLetterPublishingRecoverer recoverer = new DeadLetterPublishingRecoverer(template,
                (record, exception) -> new TopicPartition(record.topic() + DEAD_LETTER_SUFFIX, -1));
        recoverer.addHeadersFunction((record, exception) -> reasonHeaders(exception));
        return recoverer;
    }

    /**
     * The error handler: {@code retries} for listener failures before {@code recoverer} gets the record,
     * {@code outages} (which should never stop) between attempts while the database is unavailable.
     */
    public static DefaultErrorHandler errorHandler(ConsumerRecordRecoverer recoverer, BackOff retries, BackOff outages) {
        DefaultErrorHandler handler = new DefaultErrorHandler(recoverer, retries);
        handler.addNotRetryableExceptions(UnprocessableRecordException.class);
        handler.setBackOffFunction((record, exception) -> find(exception, DatabaseUnavailableException.class) != null
                || find(exception, UnresolvedConflictException.class) != null ? outages : null);
        return handler;
    }

    private static Headers reasonHeaders(Exception exception) {
        String outcome;
        String reason;
        UnprocessableRecordException unprocessable = find(exception, UnprocessableRecordException.class);
        DeserializationException deserialization = find(exception, DeserializationException.class);
        if (unprocessable != null) {
            outcome = unprocessable.result().outcome().name();
            reason = unprocessable.result().reason();
        } else if (deserialization != null) {
            outcome = Outcome.INVALID.name();
            reason = "cannot deserialize the record's " + (deserialization.isKey() ? "key" : "value") + ": "
                    + rootCause(deserialization).getMessage();
        } else {
            outcome = "FAILED";
            reason = "the listener kept failing: " + rootCause(exception);
        }
        Headers headers = new RecordHeaders();
        headers.add(OUTCOME_HEADER, outcome.getBytes(StandardCharsets.UTF_8));
        headers.add(REASON_HEADER, String.valueOf(reason).getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return null;
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current.getCause() != null && current.getCause() != current && depth < MAX_DEPTH; depth++) {
            current = current.getCause();
        }
        return current;
    }
}
