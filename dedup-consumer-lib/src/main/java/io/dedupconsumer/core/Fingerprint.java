package io.dedupconsumer.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A short digest of a record's payload, stored with its claim so that a later record under the same key can be told
 * apart: same fingerprint is a {@link Outcome#DUPLICATE}, another one a {@link Outcome#CONFLICT}.
 */
@FunctionalInterface
public interface Fingerprint {

    /** The largest fingerprint stored; a longer one is reduced with SHA-256. */
    int MAX_LENGTH = 32;

    /**
     * Computes the fingerprint. It must depend only on what makes two deliveries "the same event", so a field that
     * changes on every re-send (a send timestamp, a trace id) must be left out by a custom fingerprint.
     */
    byte[] of(ConsumerRecord<?, ?> record) throws Exception;

    /**
     * SHA-256 of the record value: its bytes ({@code byte[]}, {@code ByteBuffer}), its UTF-8 text ({@code String}; one
     * with a lone surrogate makes the record {@link Outcome#INVALID}), or, for a deserialized object, its canonical
     * JSON (properties and map entries sorted). The default.
     */
    static Fingerprint sha256() {
        return record -> sha256(canonicalBytes(record.value()));
    }

    /** SHA-256 of the given bytes. */
    static byte[] sha256(byte[] bytes) {
        return Sha256.digest(bytes);
    }

    private static byte[] canonicalBytes(Object value) throws Exception {
        if (value == null) {
            return new byte[0];
        }
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        if (value instanceof String text) {
            return utf8(text);
        }
        if (value instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return bytes;
        }
        return Json.MAPPER.writeValueAsBytes(value);
    }

    /** Strict UTF-8: {@code getBytes} would encode every lone surrogate as {@code ?}, so different texts would hash equal. */
    private static byte[] utf8(String text) {
        try {
            ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(text));
            byte[] array = new byte[bytes.remaining()];
            bytes.get(array);
            return array;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the value is not Unicode text (it holds a lone surrogate), so its UTF-8 "
                    + "bytes, and the fingerprint, would not tell it from other texts", e);
        }
    }
}
