package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.coordinates;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link DedupShareConsumerRunner} does with one record, on its handler thread: decode, claim and handle in one
 * transaction, dead-letter what is the record's own fault, and turn the outcome into the acknowledgement to give
 * ({@code ACCEPT} or {@code RELEASE}) with the pause it asks for. Apart from the runner so that the protocol per record
 * reads in one place, free of the consumer and lock handling around it; it never touches the share consumer.
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
final class ShareRecordDecisions<K, V> {

    private static final Logger log = LoggerFactory.getLogger(DedupShareConsumerRunner.class);

    /**
     * How one record ends: its acknowledgement, whether the database was unavailable, and the pause a failure asks
     * for before the next poll.
     */
    record Decision(AcknowledgeType type, boolean outage, Duration pause) {
    }

    private final RecordDecoder<K, V> decoder;
    private final Deduplicator deduplicator;
    private final RecordHandler<K, V> handler;
    private final RunnerListener listener;
    private final ConflictPolicy conflictPolicy;
    private final int maxAttempts;
    private final Backoff backoff;
    private final DeadLetterPublisher deadLetters;
    private final Duration deadLetterWait;
    private final RunnerMetrics metrics;
    private final String name;
    private volatile @Nullable RuntimeException fatal;

    ShareRecordDecisions(RecordDecoder<K, V> decoder, Deduplicator deduplicator, RecordHandler<K, V> handler,
            RunnerListener listener, ConflictPolicy conflictPolicy, int maxAttempts, Backoff backoff,
            DeadLetterPublisher deadLetters, Duration deadLetterWait, RunnerMetrics metrics, String name) {
        this.decoder = decoder;
        this.deduplicator = deduplicator;
        this.handler = handler;
        this.listener = listener;
        this.conflictPolicy = conflictPolicy;
        this.maxAttempts = maxAttempts;
        this.backoff = backoff;
        this.deadLetters = deadLetters;
        this.deadLetterWait = deadLetterWait;
        this.metrics = metrics;
        this.name = name;
    }

    /** Why the runner must stop ({@code CONFLICT} under {@link ConflictPolicy#FAIL}), or {@code null}. */
    @Nullable RuntimeException fatal() {
        return fatal;
    }

    /** The decision for one record: never throws for a failure of the record or the database. */
    Decision decide(ConsumerRecord<byte[], byte[]> raw) {
        try {
            return new Decision(processOne(raw), false, Duration.ZERO);
        } catch (DatabaseUnavailableException e) {
            if (e.reason() == DatabaseUnavailableException.Reason.TIMED_OUT) {
                metrics.timeoutRetry();
                log.warn("share consumer {}: {} waited past the transaction timeout for rows another transaction "
                        + "holds (another consumer with the same record?); released, it comes back: {}", name,
                        coordinates(raw), e.getMessage());
                return new Decision(AcknowledgeType.RELEASE, false, backoff.delay(1));
            }
            metrics.databaseRetry();
            log.warn("share consumer {}: the database is unavailable ({}); {} and the records behind it are held, "
                    + "their locks renewed, never dead-lettered, until it answers: {}", name, e.reason(), coordinates(raw),
                    e.getMessage());
            return new Decision(AcknowledgeType.RELEASE, true, Duration.ZERO);
        } catch (RecordProcessingException e) {
            int delivery = raw.deliveryCount().map(Short::intValue).orElse(1);
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (delivery >= maxAttempts) {
                log.error("share consumer {}: {} failed on delivery {} of {}; dead-lettering it. Last failure: {}",
                        name, coordinates(raw), delivery, maxAttempts, cause.toString(), cause);
                return new Decision(deadLetter(raw, new DeadLetter(DeadLetterReason.FAILED, "processing failed on "
                        + delivery + " deliveries; last failure: " + cause, null, cause, false)), false, Duration.ZERO);
            }
            metrics.recordRetry();
            log.warn("share consumer {}: {} failed (delivery {} of {}); released for a later attempt: {}", name,
                    coordinates(raw), delivery, maxAttempts, cause.toString());
            return new Decision(AcknowledgeType.RELEASE, false, backoff.delay(delivery));
        }
    }

    /**
     * The acknowledgement of one record once its transaction committed or its dead letter was acknowledged.
     *
     * @throws DatabaseUnavailableException when the database cannot do the work now
     * @throws RecordProcessingException when the handler or the database failed the record
     */
    private AcknowledgeType processOne(ConsumerRecord<byte[], byte[]> raw) {
        RecordDecoder.Decoded<K, V> decoded = decoder.decode(raw);
        if (decoded instanceof RecordDecoder.Undecodable<K, V> undecodable) {
            deduplicator.invalid(raw, undecodable.reason()); // counted as every integration counts it
            log.warn("share consumer {}: {}: {}; dead-lettering it", name, coordinates(raw), undecodable.reason());
            return deadLetter(raw, new DeadLetter(DeadLetterReason.INVALID, undecodable.reason(), null,
                    undecodable.failure(), undecodable.keyFailed()));
        }
        ConsumerRecord<K, V> read = ((RecordDecoder.Readable<K, V>) decoded).record();
        // with the delivery count, which RecordDecoder (shared with the classic runner, Kafka 3 clients too) drops
        ConsumerRecord<K, V> record = new ConsumerRecord<>(read.topic(), read.partition(), read.offset(),
                read.timestamp(), read.timestampType(), read.serializedKeySize(), read.serializedValueSize(), read.key(),
                read.value(), read.headers(), read.leaderEpoch(), raw.deliveryCount());
        DedupResult result = deduplicator.process(record, handler);
        try {
            listener.afterDatabaseCommit(List.of(record), List.of(result));
        } catch (RuntimeException e) {
            log.warn("share consumer {}: RunnerListener.afterDatabaseCommit failed; ignored", name, e);
        }
        return switch (result.outcome()) {
            case PROCESSED, REJECTED, DUPLICATE -> AcknowledgeType.ACCEPT;
            case INVALID -> deadLetter(raw, new DeadLetter(DeadLetterReason.INVALID, result.reason(), result.dedupKey(),
                    null, false));
            case CONFLICT -> {
                if (conflictPolicy == ConflictPolicy.FAIL) {
                    fatal = new IllegalStateException("share consumer " + name + " stopped: " + coordinates(raw) + " is "
                            + "a CONFLICT (" + result.reason() + ") and the conflict policy is FAIL; the record was "
                            + "released, not accepted. Resolve the conflict, then restart (or use "
                            + "ConflictPolicy.DEAD_LETTER)");
                    log.error(fatal.getMessage());
                    yield AcknowledgeType.RELEASE;
                }
                yield deadLetter(raw, new DeadLetter(DeadLetterReason.CONFLICT, result.reason(), result.dedupKey(),
                        null, false));
            }
        };
    }

    /** Sends the dead letter and waits for its acknowledgement: {@code ACCEPT} once it has one, else {@code RELEASE}. */
    private AcknowledgeType deadLetter(ConsumerRecord<byte[], byte[]> raw, DeadLetter letter) {
        Future<RecordMetadata> send = deadLetters.publish(raw, letter);
        try {
            send.get(deadLetterWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            metrics.deadLetterFailed();
            log.error("share consumer {}: the dead-letter topic did not take {} ({}); released, it comes back for "
                    + "another attempt: {}", name, coordinates(raw), letter.reason(),
                    e instanceof ExecutionException ? e.getCause().toString() : "no acknowledgement within "
                            + deadLetterWait.toMillis() + " ms");
            return AcknowledgeType.RELEASE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AcknowledgeType.RELEASE;
        }
        metrics.deadLettered(letter.reason());
        log.warn("share consumer {}: {} dead-lettered as {}", name, coordinates(raw), letter.reason());
        try {
            listener.afterDeadLetter(raw, letter.reason());
        } catch (RuntimeException e) {
            log.warn("share consumer {}: RunnerListener.afterDeadLetter failed; ignored", name, e);
        }
        return AcknowledgeType.ACCEPT;
    }
}
