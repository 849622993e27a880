package io.dedupconsumer.examples.inventory.oracle;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Fingerprint;
import io.dedupconsumer.jdbc.DedupTable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * How the dedup protocol must see each record of a stock events topic, derived with the library's own
 * {@link DedupKey} and {@link Fingerprint} (the ones the service's {@code @Deduplicated(jsonField = "eventId")} uses),
 * so that a verifier never re-codes what a key or "the same payload" is:
 *
 * <ul>
 *   <li>no usable key: {@link Kind#INVALID};</li>
 *   <li>the first record of its key: {@link Kind#FIRST}, decided once (applied or refused);</li>
 *   <li>a later record with the first one's fingerprint: {@link Kind#DUPLICATE}, skipped;</li>
 *   <li>a later record with another fingerprint: {@link Kind#CONFLICT}, dead-lettered.</li>
 * </ul>
 *
 * <p>"First" is the order of the calls: feed the records in the order the service claims them (per partition, in
 * offset order). Not thread-safe.
 */
public final class RecordClassifier {

    /** The dedup key of the inventory service. */
    public static final DedupKey EVENT_ID = DedupKey.jsonField("eventId");
    /** The library's default fingerprint, which the inventory service keeps. */
    private static final Fingerprint FINGERPRINT = Fingerprint.sha256();

    /** How the dedup protocol must see a record. */
    public enum Kind {
        /** No usable event id (or a payload that cannot be fingerprinted): dead-lettered as {@code INVALID}. */
        INVALID,
        /** The first record of its event id: decided once, applied or refused. */
        FIRST,
        /** The same event id and the same fingerprint as the first: skipped. */
        DUPLICATE,
        /** The same event id with another fingerprint: dead-lettered as {@code CONFLICT}. */
        CONFLICT
    }

    /**
     * One record classified.
     *
     * @param kind how the protocol must see it
     * @param key its dedup key; {@code null} for {@link Kind#INVALID}
     */
    public record Classified(Kind kind, @Nullable String key) {
    }

    private final Map<String, byte[]> firstFingerprints = new HashMap<>();

    /** Classifies the next record, against the records classified before it. */
    public Classified classify(ConsumerRecord<?, ?> record) {
        String key = key(record);
        byte[] fingerprint = key == null ? null : fingerprint(record);
        if (key == null || fingerprint == null) {
            return new Classified(Kind.INVALID, null);
        }
        byte[] first = firstFingerprints.putIfAbsent(key, fingerprint);
        Kind kind = first == null ? Kind.FIRST : Arrays.equals(first, fingerprint) ? Kind.DUPLICATE : Kind.CONFLICT;
        return new Classified(kind, key);
    }

    /**
     * The record's dedup key as the service derives it, or {@code null} when it has none it can store: the key
     * cannot be read (not JSON), is missing or empty, or is text the dedup table would not store exactly (a lone
     * surrogate, U+0000, U+FFFD, more than {@link DedupTable#MAX_KEY_LENGTH} characters).
     */
    public static @Nullable String key(ConsumerRecord<?, ?> record) {
        String key;
        try {
            key = EVENT_ID.of(record);
        } catch (Exception e) {
            return null;
        }
        return key == null || key.isEmpty() || !storable(key) ? null : key;
    }

    /** The library's fingerprint of the record, or {@code null} when it cannot take one (the record is invalid). */
    public static byte @Nullable [] fingerprint(ConsumerRecord<?, ?> record) {
        try {
            return FINGERPRINT.of(record);
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean storable(String key) {
        int length = 0;
        for (int i = 0; i < key.length(); i += Character.charCount(key.codePointAt(i))) {
            int c = key.codePointAt(i);
            if (c == 0 || c == 0xFFFD || c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                return false;
            }
            length++;
        }
        return length <= DedupTable.MAX_KEY_LENGTH;
    }
}
