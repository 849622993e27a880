package io.dedupconsumer.core;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where a record's business key comes from: the identity of the event, the same on every redelivery and re-send.
 * Prefer an id the producer assigns once (an event id, a provider's transaction id) over the Kafka offset, which
 * changes when an event is sent twice.
 *
 * <p>A key is stored exactly, or the record is {@link Outcome#INVALID} with the reason: two different events never
 * share a key by accident. The built-in keys decode bytes as strict UTF-8 (never with replacement characters) and
 * refuse values whose text is not their identity; whatever produced it, a key with a lone surrogate, U+0000,
 * U+FFFD (a lenient decoder's replacement character) or more than 255 characters is refused.
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

    /** The Kafka record key, read with {@link #text(Object)}. */
    static DedupKey recordKey() {
        return KeyExtractors.RECORD_KEY;
    }

    /**
     * The bytes of the Kafka record key ({@code byte[]} or {@code ByteBuffer}, as the {@code ByteArrayDeserializer}
     * gives them), for binary ids: stored as {@code base64:} followed by their standard, padded Base64, e.g.
     * {@code base64:/wAQ} for {@code FF 00 10}. The 255 characters of a key hold 186 bytes. A key of another type is
     * {@link Outcome#INVALID}; an empty one is no key.
     */
    static DedupKey recordKeyBytes() {
        return KeyExtractors.RECORD_KEY_BYTES;
    }

    /**
     * The last header named {@code name}, decoded as strict UTF-8: a value that is not UTF-8 makes the record
     * {@link Outcome#INVALID} (use {@link #headerBytes(String)} for binary ids).
     */
    static DedupKey header(String name) {
        return new KeyExtractors.HeaderKey(KeyExtractors.requireText(name, "header name"));
    }

    /** The bytes of the last header named {@code name}, stored as {@link #recordKeyBytes()} stores a record key's. */
    static DedupKey headerBytes(String name) {
        return new KeyExtractors.HeaderBytesKey(KeyExtractors.requireText(name, "header name"));
    }

    /**
     * A scalar field of a JSON payload: a top-level field name ({@code "eventId"}) or a JSON Pointer
     * ({@code "/payment/txId"}). A string is its text, a number the text it has in the document ({@code 1.10} and
     * {@code 1.1} are two keys), a boolean {@code true} or {@code false}; {@code null} or absent is no key.
     *
     * <p>{@code byte[]}, {@code ByteBuffer} (UTF-8, a leading byte order mark ignored) and {@code String} values are
     * streamed to their end, not built into a tree. The record is {@link Outcome#INVALID} when the value is not
     * exactly one well-formed JSON document: a member name twice in one object, anything after the document, bytes
     * that are not UTF-8, more than 16 MiB (bytes, or characters of a {@code String}), or nesting deeper than 100.
     * Objects a deserializer produced ({@code Map}, {@code JsonNode}, POJOs) are read through Jackson; a number with a
     * fraction in them is refused, because the text it was sent as is gone.
     */
    static DedupKey jsonField(String field) {
        return new KeyExtractors.JsonFieldKey(KeyExtractors.requireText(field, "JSON field"));
    }

    /**
     * The text a key value is stored as, by the same rules as the built-in keys, for your own {@code DedupKey}: a
     * {@code String} as it is, {@code byte[]} and {@code ByteBuffer} decoded as strict UTF-8, any other value its
     * {@code toString()}.
     *
     * @return the text, or {@code null} for {@code null}
     * @throws IllegalArgumentException when the text would not be the value's identity: bytes that are not UTF-8
     *     (key those on their bytes: {@link #recordKeyBytes()}, {@link #headerBytes(String)}), a {@code double} or
     *     {@code float}, or an object whose {@code toString()} is {@code Object}'s default ({@code class@hash})
     */
    static String text(Object value) {
        return KeyExtractors.text(value);
    }
}
