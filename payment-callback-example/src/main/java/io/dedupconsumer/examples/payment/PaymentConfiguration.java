package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.DedupTemplates;
import io.dedupconsumer.spring.boot.DedupProperties;
import java.time.Clock;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Wires the service. The dedup parts come from dedup-consumer's Boot auto-configuration (the transaction runner that
 * lets {@code JdbcTemplate} join the dedup transaction, the dedup table's migration, the error handler with its
 * dead-letter recoverer); this class adds the {@link DedupTemplate} with the callback's own key and fingerprint.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PaymentProperties.class)
final class PaymentConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    NewTopic paymentCallbacksTopic(PaymentProperties properties) {
        return TopicBuilder.name(properties.topic()).partitions(properties.partitions()).build();
    }

    @Bean
    NewTopic paymentDeadLetterTopic(PaymentProperties properties) {
        return TopicBuilder.name(properties.deadLetterTopic()).partitions(1).build();
    }

    @Bean
    NotifySignature notifySignature(PaymentProperties properties) {
        return new NotifySignature(properties.endpoint().secret());
    }

    @Bean
    CallbackPublisher callbackPublisher(KafkaTemplate<String, byte[]> template, PaymentProperties properties) {
        return new CallbackPublisher(template, properties.topic(), properties.endpoint().publishTimeout());
    }

    @Bean
    Orders orders(JdbcTemplate jdbc, Clock clock) {
        return new Orders(jdbc, clock);
    }

    @Bean
    Ledger ledger(JdbcTemplate jdbc, Clock clock) {
        return new Ledger(jdbc, clock);
    }

    /**
     * One event per provider transaction and callback type (the key), judged by the fields that make it that event
     * (the fingerprint), so that a provider's re-send with a new notify id is a DUPLICATE and a changed amount a
     * CONFLICT. A body that does not parse has no key: INVALID, dead-lettered.
     */
    @Bean
    DedupTemplate paymentDedupTemplate(DedupTemplates templates, DedupProperties dedup) {
        return templates.create(callbackDeduplicator().consumerName(dedup.getConsumerName()));
    }

    /** A deduplicator builder with the callback's key and fingerprint; the rest is the caller's. */
    static Deduplicator.Builder callbackDeduplicator() {
        return Deduplicator.builder()
                .dedupKey(record -> PaymentCallback.parse((byte[]) record.value()).dedupKey())
                .fingerprint(record -> PaymentCallback.parse((byte[]) record.value()).fingerprint());
    }

    @Bean
    AnomalyAlerts anomalyAlerts(JdbcTemplate jdbc, KafkaTemplate<String, byte[]> template, PaymentProperties properties,
            Clock clock) {
        return new AnomalyAlerts(jdbc, template, properties.deadLetterTopic(), properties.endpoint().publishTimeout(), clock);
    }

    @Bean
    PaymentCallbackListener paymentCallbackListener(DedupTemplate dedup, Orders orders, Ledger ledger,
            AnomalyAlerts alerts, JdbcTemplate jdbc, Clock clock) {
        return new PaymentCallbackListener(dedup, new CallbackHandler(orders, ledger), alerts,
                new Conflicts(jdbc, dedup.deduplicator(), clock));
    }

    @Bean
    CallbackReplay callbackReplay(ConcurrentKafkaListenerContainerFactory<?, ?> factory,
            PaymentCallbackListener listener, PaymentProperties properties) {
        return new CallbackReplay(factory, listener, properties);
    }
}
