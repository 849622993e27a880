package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.UnprocessableRecordException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * Consumes the callbacks the notify endpoint published, each one through the dedup protocol: claim the key
 * (provider transaction id + type) and run {@link CallbackHandler} in one transaction; a re-send is a DUPLICATE and
 * does nothing. The container commits the offset after this method returned, so after the database commit.
 *
 * <p>What is not applied is never dropped: a CONFLICT (same transaction and type, other order, amount or currency)
 * and an INVALID record are thrown by the {@link DedupTemplate} as not retryable, and the error handler of
 * dedup-consumer's auto-configuration dead-letters them; a CONFLICT is first recorded in {@code payment_conflict}
 * ({@link Conflicts}); a business anomaly is committed with its rejection and then alerted through
 * {@link AnomalyAlerts}.
 *
 * <p>It uses the programmatic {@link DedupTemplate} rather than {@code @Deduplicated} because it needs the outcome
 * after the commit (to send the alert) and a dedup key and fingerprint computed by a function.
 */
final class PaymentCallbackListener {

    /** The live listener's id in spring-kafka's registry. */
    static final String ID = "payment-callbacks";

    private static final Logger log = LoggerFactory.getLogger(PaymentCallbackListener.class);

    private final DedupTemplate dedup;
    private final CallbackHandler handler;
    private final AnomalyAlerts alerts;
    private final Conflicts conflicts;

    PaymentCallbackListener(DedupTemplate dedup, CallbackHandler handler, AnomalyAlerts alerts, Conflicts conflicts) {
        this.dedup = dedup;
        this.handler = handler;
        this.alerts = alerts;
        this.conflicts = conflicts;
    }

    @KafkaListener(id = ID, idIsGroup = false, topics = "${payment.topic}", concurrency = "${payment.concurrency}")
    void onCallback(ConsumerRecord<String, byte[]> record) {
        consume(record);
    }

    /**
     * One record, from the live listener or a replay.
     *
     * @throws UnprocessableRecordException for a CONFLICT (recorded in {@code payment_conflict} first) or an INVALID
     *     record, for the error handler to dead-letter
     */
    DedupResult consume(ConsumerRecord<String, byte[]> record) {
        DedupResult result;
        try {
            result = dedup.process(record, handler);
        } catch (UnprocessableRecordException e) {
            if (e.result().outcome() == Outcome.CONFLICT) {
                conflicts.record(record, parsed(record), e.result());
            }
            throw e;
        }
        log.debug("{} {} at {}-{}@{}: {}", result.outcome(), result.dedupKey(), record.topic(), record.partition(),
                record.offset(), result.reason());
        if (result.outcome() == Outcome.REJECTED
                || (result.outcome() == Outcome.DUPLICATE && result.firstOutcome() == Outcome.REJECTED)) {
            alerts.publishPending(record, parsed(record));
        }
        return result;
    }

    private static PaymentCallback parsed(ConsumerRecord<String, byte[]> record) {
        try {
            return PaymentCallback.parse(record.value());
        } catch (InvalidCallbackException e) {
            // Unreachable: the dedup key is read from the same bytes, and an unreadable record is INVALID before this.
            throw new IllegalStateException("record " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " was claimed but does not parse: " + e.getMessage(), e);
        }
    }
}
