package io.dedupconsumer.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Deserializes one record's key and value, so that a record that cannot be read is caught with its original bytes
 * (and dead-lettered) instead of failing the consumer's {@code poll()} for the whole partition.
 */
final class RecordDecoder<K, V> implements AutoCloseable {

    private final Deserializer<K> keys;
    private final Deserializer<V> values;

    RecordDecoder(Deserializer<K> keys, Deserializer<V> values) {
        this.keys = keys;
        this.values = values;
    }

    /** The record deserialized, or why it could not be. A {@code null} key or value stays {@code null}, as in Kafka. */
    Decoded<K, V> decode(ConsumerRecord<byte[], byte[]> raw) {
        K key;
        try {
            key = raw.key() == null ? null : keys.deserialize(raw.topic(), raw.headers(), raw.key());
        } catch (RuntimeException e) {
            return new Undecodable<>(e, true);
        }
        V value;
        try {
            value = raw.value() == null ? null : values.deserialize(raw.topic(), raw.headers(), raw.value());
        } catch (RuntimeException e) {
            return new Undecodable<>(e, false);
        }
        return new Readable<>(new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.timestamp(),
                raw.timestampType(), raw.serializedKeySize(), raw.serializedValueSize(), key, value, raw.headers(),
                raw.leaderEpoch()));
    }

    @Override
    public void close() {
        keys.close();
        values.close();
    }

    /** A deserialized record, or the exception that prevented it. */
    sealed interface Decoded<K, V> {
    }

    /** The record deserialized. */
    record Readable<K, V>(ConsumerRecord<K, V> record) implements Decoded<K, V> {
    }

    /**
     * The exception that prevented deserializing the record.
     *
     * @param keyFailed whether the key (rather than the value) failed
     */
    record Undecodable<K, V>(RuntimeException failure, boolean keyFailed) implements Decoded<K, V> {

        String reason() {
            return "the record's " + (keyFailed ? "key" : "value") + " cannot be deserialized: " + failure;
        }
    }
}
