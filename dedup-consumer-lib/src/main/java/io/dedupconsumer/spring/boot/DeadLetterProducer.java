package io.dedupconsumer.spring.boot;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferSerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.serializer.DelegatingByTypeSerializer;
import org.springframework.kafka.support.serializer.JsonSerializer;

/**
 * The producer of dead letters: the application's producer settings, but serializers that write bytes and text
 * unchanged whatever the application's producer serializes, so a dead letter keeps the consumed bytes. Not a
 * {@code KafkaTemplate} bean, so that it never competes with the application's own.
 */
final class DeadLetterProducer implements DisposableBean {

    private final DefaultKafkaProducerFactory<Object, Object> factory;
    private final KafkaTemplate<Object, Object> template;

    DeadLetterProducer(Map<String, Object> producerProperties) {
        this.factory = new DefaultKafkaProducerFactory<>(producerProperties, serializer(), serializer());
        this.template = new KafkaTemplate<>(factory);
    }

    KafkaTemplate<Object, Object> template() {
        return template;
    }

    private static DelegatingByTypeSerializer serializer() {
        Map<Class<?>, Serializer<?>> byType = new LinkedHashMap<>();
        byType.put(byte[].class, new ByteArraySerializer());
        byType.put(String.class, new StringSerializer());
        byType.put(Bytes.class, new BytesSerializer());
        byType.put(ByteBuffer.class, new ByteBufferSerializer());
        byType.put(Object.class, new JsonSerializer<>());
        return new DelegatingByTypeSerializer(byType, true);
    }

    @Override
    public void destroy() {
        factory.destroy();
    }
}
