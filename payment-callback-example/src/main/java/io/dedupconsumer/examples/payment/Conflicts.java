package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The {@code payment_conflict} rows: a callback that reuses a provider transaction and type already applied, with
 * another order, amount or currency. The dedup protocol writes nothing for a CONFLICT (the claim is not taken, the
 * handler does not run) and the error handler dead-letters it; this row puts it next to the orders too, where an
 * operator looks, with both fingerprints and where the applied callback is.
 *
 * <p>The listener writes it before it lets the record go to the dead-letter topic, so the row is there before the
 * offset is committed; it is keyed by the record's topic, partition and offset, so a redelivery of the same record or
 * a replay of the topic finds it there and adds none.
 */
final class Conflicts {

    private static final Logger log = LoggerFactory.getLogger(Conflicts.class);
    private static final HexFormat HEX = HexFormat.of();

    private final JdbcTemplate jdbc;
    private final Deduplicator deduplicator;
    private final Clock clock;

    Conflicts(JdbcTemplate jdbc, Deduplicator deduplicator, Clock clock) {
        this.jdbc = jdbc;
        this.deduplicator = deduplicator;
        this.clock = clock;
    }

    /**
     * Records the conflict of this record, once.
     *
     * @param result its CONFLICT outcome
     * @return whether the row was written now ({@code false}: an earlier delivery of the same record wrote it)
     * @throws org.springframework.dao.DataAccessException when the database did not take it; the record is retried
     */
    boolean record(ConsumerRecord<String, byte[]> record, PaymentCallback callback, DedupResult result) {
        // The first delivery's fingerprint, read from the dedup table whose DDL the library ships (the table name is
        // the deduplicator's, validated as an identifier).
        List<byte[]> stored = jdbc.query("SELECT fingerprint FROM " + deduplicator.table()
                + " WHERE consumer_name = ? AND dedup_key = ?", (rs, row) -> rs.getBytes(1),
                deduplicator.consumerName(), result.dedupKey());
        try {
            jdbc.update("INSERT INTO payment_conflict (record_topic, record_partition, record_offset, provider_tx_id, "
                    + "callback_type, order_id, amount_minor, currency, fingerprint, stored_fingerprint, stored_delivery, "
                    + "stored_outcome, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    record.topic(), record.partition(), record.offset(), callback.providerTxId(), callback.type().name(),
                    callback.orderId(), callback.amountMinor(), callback.currency(), HEX.formatHex(callback.fingerprint()),
                    stored.isEmpty() ? null : HEX.formatHex(stored.get(0)), result.firstDelivery(),
                    result.firstOutcome().name(), Timestamp.from(clock.instant()));
        } catch (DuplicateKeyException e) {
            log.debug("conflict of {}-{}@{} recorded by an earlier delivery", record.topic(), record.partition(),
                    record.offset());
            return false;
        }
        log.warn("CONFLICT {} at {}-{}@{} ({} {} for order {}) recorded in payment_conflict; applied from {}",
                callback.dedupKey(), record.topic(), record.partition(), record.offset(), callback.amountMinor(),
                callback.currency(), callback.orderId(), result.firstDelivery());
        return true;
    }
}
