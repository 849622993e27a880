package io.dedupconsumer.kafka;

import io.dedupconsumer.core.InvalidSettingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The checks both runners' builders make of the settings they share ({@link DedupConsumerRunner.Builder},
 * {@link DedupShareConsumerRunner.Builder}), so that one setting is refused the same way, with the same message, by
 * either; and the quiet closing of their clients.
 */
final class RunnerSettings {

    private RunnerSettings() {
    }

    /** A deserializer given to {@code builder(keyDeserializer, valueDeserializer)}, which is required. */
    static <T> T deserializer(String setting, @Nullable T deserializer) {
        if (deserializer == null) {
            throw new InvalidSettingException(setting, null, "required; e.g. new StringDeserializer()");
        }
        return deserializer;
    }

    /**
     * Refuses a null key or value, and a key or value deserializer in the consumer properties: the runner consumes
     * bytes and deserializes each record itself.
     *
     * @param builderCall how to pass deserializers instead, e.g. {@code DedupConsumerRunner.builder}
     */
    static void checkConsumerProperty(@Nullable String key, @Nullable Object value, String builderCall) {
        if (key == null || value == null) {
            throw new InvalidSettingException("consumerProperties", value, "null key or value (" + key + ")");
        }
        if ((key.equals(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG)
                || key.equals(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG)) && !isByteArrayDeserializer(value)) {
            throw new InvalidSettingException("consumerProperties", value, key + "=" + value + " is not used; the runner "
                    + "consumes bytes and deserializes each record itself, so that a record that does not "
                    + "deserialize is dead-lettered instead of failing poll(). Pass the deserializer to "
                    + builderCall + "(keyDeserializer, valueDeserializer) and remove " + key);
        }
    }

    private static boolean isByteArrayDeserializer(Object value) {
        return value == ByteArrayDeserializer.class || value instanceof ByteArrayDeserializer
                || ByteArrayDeserializer.class.getName().equals(value.toString().trim());
    }

    /** Adds {@code topics} to {@code into}, refusing an empty name. */
    static void addTopics(Set<String> into, Collection<String> topics) {
        Objects.requireNonNull(topics, "topics");
        for (String topic : new ArrayList<>(topics)) {
            if (topic == null || topic.isBlank()) {
                throw new InvalidSettingException("topics", topic, "a topic name is empty");
            }
            into.add(topic);
        }
    }

    /** Explicit dead-letter producer settings, which must name the cluster. */
    static Map<String, Object> producerProperties(Map<String, ?> properties) {
        Objects.requireNonNull(properties, "producerProperties");
        if (!properties.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new InvalidSettingException("producerProperties", properties, "bootstrap.servers is required when the "
                    + "dead-letter producer is configured explicitly; leave producerProperties unset to derive "
                    + "them from the consumer");
        }
        return new HashMap<>(properties);
    }

    static Duration positive(String setting, @Nullable Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new InvalidSettingException(setting, duration, "must be positive, was " + duration);
        }
        return duration;
    }

    static Duration notNegative(String setting, @Nullable Duration duration) {
        if (duration == null || duration.isNegative()) {
            throw new InvalidSettingException(setting, duration, "must not be negative, was " + duration);
        }
        return duration;
    }

    static int atLeastOne(String setting, int value) {
        if (value < 1) {
            throw new InvalidSettingException(setting, value, "must be at least 1, was " + value);
        }
        return value;
    }

    /**
     * What {@code build()} requires of both runners: {@code bootstrap.servers}, {@code group.id}, a topic and a
     * deduplicator.
     *
     * @param groupUse why the group is needed, for the message
     */
    static void checkRequired(Map<String, Object> consumerProperties, Set<String> topics, @Nullable Object deduplicator,
            String groupUse) {
        if (!consumerProperties.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalStateException("consumerProperties: bootstrap.servers is required");
        }
        Object group = consumerProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
        if (group == null || group.toString().isBlank()) {
            throw new IllegalStateException("consumerProperties: group.id is required; " + groupUse);
        }
        if (topics.isEmpty()) {
            throw new IllegalStateException("topics: required; name at least one topic to consume");
        }
        if (deduplicator == null) {
            throw new IllegalStateException("deduplicator: required; build one with Deduplicator.builder() on the "
                    + "DataSource of the handler's tables");
        }
    }

    /** Closes one client of a runner; a failure is logged, so that the others are closed too. */
    static void closeQuietly(Logger log, String runner, String what, Runnable close) {
        try {
            close.run();
        } catch (RuntimeException e) {
            log.warn("{}: closing the {} failed: {}", runner, what, e.toString());
        }
    }
}
