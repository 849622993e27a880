package io.dedupconsumer.examples.payment;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;

/**
 * Re-consumes the callback topic from its first record under a new consumer group, through the same listener and
 * therefore the same dedup consumer name: what an operator does after a bug fix or to rebuild a read model, and what
 * a redelivery storm looks like. Every record's key is already claimed, so a replay must change nothing; the demo
 * and the tests check exactly that. The container comes from the application's listener container factory, so it
 * has the same error handling and dead-letter recoverer as the live listener.
 */
final class CallbackReplay {

    private final ConcurrentKafkaListenerContainerFactory<?, ?> factory;
    private final PaymentCallbackListener listener;
    private final PaymentProperties properties;

    CallbackReplay(ConcurrentKafkaListenerContainerFactory<?, ?> factory, PaymentCallbackListener listener,
            PaymentProperties properties) {
        this.factory = factory;
        this.listener = listener;
        this.properties = properties;
    }

    /**
     * Starts consuming the topic from the beginning as {@code groupId}, which must be a group that never committed an
     * offset on it. Stop the returned container when it has caught up (see {@link TopicProgress}).
     */
    ConcurrentMessageListenerContainer<?, ?> start(String groupId) {
        ConcurrentMessageListenerContainer<?, ?> container = factory.createContainer(properties.topic());
        container.getContainerProperties().setGroupId(groupId);
        container.getContainerProperties().getKafkaConsumerProperties()
                .setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        container.getContainerProperties().setMessageListener((MessageListener<String, byte[]>) listener::consume);
        container.setConcurrency(properties.concurrency());
        container.setBeanName("payment-callbacks-replay-" + groupId);
        container.start();
        return container;
    }
}
