package io.dedupconsumer.core;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where a record's business key comes from: the identity of the event, the same on every redelivery and re-send.
 * Prefer an id the producer assigns once (an event id, a provider's transaction id) over the Kafka offset, which
 * changes when an event is sent twice.
 */
@FunctionalInterface
public interface DedupKey {

    /**
     * Reads the key of a record.
     *
     * @return the key, or {@code null} (or an empty string) when the record has none; the record is then
     *     {@link Outcome#INVALID}
     * @throws Exception when the record cannot be read (e.g. malformed JSON); the record is then {@link Outcome#INVALID}
     */
    String of(ConsumerRecord<?, ?> record) throws Exception;

    /** The Kafka record key: a {@code String}, UTF-8 {@code byte[]}, or any value's {@code toString()}. */
    static DedupKey recordKey() {
        return KeyExtractors.RECORD_KEY;
    }

    /** The last header named {@code name}, decoded as UTF-8. */
    static DedupKey header(String name) {
        return new KeyExtractors.HeaderKey(KeyExtractors.requireText(name, "header name"));
    }

    /**
     * A scalar field of a JSON payload: a top-level field name ({@code "eventId"}) or a JSON Pointer
     * ({@code "/payment/txId"}). Works on {@code byte[]} and {@code String} values (parsed) and on objects a
     * deserializer produced (read through Jackson).
     */
    static DedupKey jsonField(String field) {
        return new KeyExtractors.JsonFieldKey(KeyExtractors.requireText(field, "JSON field"));
    }
}
