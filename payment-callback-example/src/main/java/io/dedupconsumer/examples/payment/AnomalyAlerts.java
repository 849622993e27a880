package io.dedupconsumer.examples.payment;

import io.dedupconsumer.spring.DedupErrorHandling;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;

/**
 * Puts business anomalies (amount or currency mismatch, unknown order) on the dead-letter topic, where operators
 * already watch conflicts and poison records, without ever losing or repeating one.
 *
 * <p>The anomaly row is written in the dedup transaction, with {@code alerted_at} empty: that row is the alert's
 * outbox. After the transaction committed, the listener calls {@link #publishPending}: it sends the alert, waits for
 * the broker, and only then sets {@code alerted_at}. A crash in between leaves the row pending and the record's offset
 * uncommitted; the redelivery is a DUPLICATE whose first outcome was REJECTED, and the listener publishes what is still
 * pending. So an alert is sent at least once (twice only after such a crash), and a replay of the topic, which finds
 * every alert sent, sends none.
 *
 * <p>Alerts carry the callback's original key and bytes, the dedup headers {@code dedup-outcome: REJECTED} and
 * {@code dedup-reason}, {@value #KIND_HEADER} with the anomaly, and spring-kafka's original topic/partition/offset
 * headers, like the dead letters spring-kafka's recoverer publishes.
 */
final class AnomalyAlerts {

    /** The anomaly's kind on an alert: {@code AMOUNT_MISMATCH} or {@code UNKNOWN_ORDER}. */
    static final String KIND_HEADER = "payment-anomaly";

    private static final Logger log = LoggerFactory.getLogger(AnomalyAlerts.class);

    private final JdbcTemplate jdbc;
    private final KafkaTemplate<String, byte[]> template;
    private final String deadLetterTopic;
    private final Duration timeout;
    private final Clock clock;

    AnomalyAlerts(JdbcTemplate jdbc, KafkaTemplate<String, byte[]> template, String deadLetterTopic, Duration timeout,
            Clock clock) {
        this.jdbc = jdbc;
        this.template = template;
        this.deadLetterTopic = deadLetterTopic;
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * Sends the alert of this callback's anomaly if it is still pending. Call after the dedup transaction committed.
     *
     * @return whether an alert was sent now
     * @throws IllegalStateException when the broker did not take the alert; the listener fails, the record is retried
     */
    boolean publishPending(ConsumerRecord<String, byte[]> record, PaymentCallback callback) {
        List<Pending> pending = jdbc.query("SELECT kind, detail FROM payment_anomaly WHERE provider_tx_id = ? "
                + "AND callback_type = ? AND alerted_at IS NULL", (rs, row) -> new Pending(rs.getString(1), rs.getString(2)),
                callback.providerTxId(), callback.type().name());
        if (pending.isEmpty()) {
            return false;
        }
        Pending anomaly = pending.get(0);
        ProducerRecord<String, byte[]> alert = new ProducerRecord<>(deadLetterTopic, record.key(), record.value());
        alert.headers()
                .add(DedupErrorHandling.OUTCOME_HEADER, utf8("REJECTED"))
                .add(DedupErrorHandling.REASON_HEADER, utf8(anomaly.kind() + ": " + anomaly.detail()))
                .add(KIND_HEADER, utf8(anomaly.kind()))
                .add(KafkaHeaders.DLT_ORIGINAL_TOPIC, utf8(record.topic()))
                .add(KafkaHeaders.DLT_ORIGINAL_PARTITION, ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array())
                .add(KafkaHeaders.DLT_ORIGINAL_OFFSET, ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
        try {
            template.send(alert).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while alerting " + callback.dedupKey(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the alert for " + callback.dedupKey() + " was not stored on "
                    + deadLetterTopic + ": " + e, e);
        }
        jdbc.update("UPDATE payment_anomaly SET alerted_at = ? WHERE provider_tx_id = ? AND callback_type = ? "
                + "AND alerted_at IS NULL", Timestamp.from(clock.instant()), callback.providerTxId(), callback.type().name());
        log.warn("ALERT {} for {}: {} (on {})", anomaly.kind(), callback.dedupKey(), anomaly.detail(), deadLetterTopic);
        return true;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private record Pending(String kind, String detail) {
    }
}
