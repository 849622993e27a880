package io.dedupconsumer.spring;

import io.dedupconsumer.kafka.DeadLetterBudget;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferSerializer;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.serializer.DelegatingByTypeSerializer;

/**
 * The producer of one listener's dead letters: the application's producer settings (cluster, security, acks), with
 * serializers that write bytes unchanged (dead letters carry the bytes the broker delivered, read back when the
 * listener's value is an object) and timeouts inside the listener's {@link DeadLetterBudget}, so that waiting for the
 * dead-letter topic can never outlast the consumer's poll interval. Not a {@code KafkaTemplate} bean, so that it never
 * competes with the application's own.
 */
final class DeadLetterProducer implements AutoCloseable {

    private final DefaultKafkaProducerFactory<Object, Object> factory;
    private final KafkaTemplate<Object, Object> template;

    DeadLetterProducer(Map<String, Object> producerProperties, DeadLetterBudget budget) {
        Map<String, Object> properties = new HashMap<>(producerProperties);
        properties.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        properties.putAll(budget.producerTimeouts());
        this.factory = new DefaultKafkaProducerFactory<>(properties, serializer(), serializer());
        this.template = new KafkaTemplate<>(factory);
    }

    KafkaTemplate<Object, Object> template() {
        return template;
    }

    /** Bytes stay bytes; text (a key or value the original of which is gone) is written as UTF-8. */
    private static DelegatingByTypeSerializer serializer() {
        Map<Class<?>, Serializer<?>> byType = new LinkedHashMap<>();
        byType.put(byte[].class, new ByteArraySerializer());
        byType.put(Bytes.class, new BytesSerializer());
        byType.put(ByteBuffer.class, new ByteBufferSerializer());
        byType.put(String.class, new StringSerializer());
        return new DelegatingByTypeSerializer(byType, true);
    }

    @Override
    public void close() {
        factory.destroy();
    }
}
