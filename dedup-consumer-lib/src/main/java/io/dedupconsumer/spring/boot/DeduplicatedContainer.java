package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.Deduplicated;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.ContainerPostProcessor;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.support.TopicPartitionOffset;
import org.springframework.kafka.transaction.KafkaAwareTransactionManager;
import org.springframework.util.StringUtils;

/**
 * Prepares the container of one {@code @Deduplicated} listener when spring-kafka creates it, which is before any
 * container starts: refuses settings under which an offset could be committed before the database commit, then
 * wraps the container's message listener in the dedup transaction.
 *
 * <p>Accepted ack modes are those where the container commits after the listener returned, which is after the
 * dedup commit: {@code BATCH} (the default), {@code RECORD}, {@code TIME}, {@code COUNT}, {@code COUNT_TIME} (the
 * last three only delay commits, and a redelivery after a crash is a duplicate). {@code MANUAL} and
 * {@code MANUAL_IMMEDIATE} are refused: the listener would acknowledge inside the transaction, before it commits
 * ({@code MANUAL_IMMEDIATE} commits the offset at once, so a crash or rollback after it loses the record;
 * {@code MANUAL} queues the offset even when the transaction then rolls back), and a duplicate, which never reaches
 * the listener, would never be acknowledged. {@code enable.auto.commit=true} is refused: the consumer commits
 * positions on its own schedule, including, when it closes, records fetched but not yet processed.
 */
final class DeduplicatedContainer implements ContainerPostProcessor<Object, Object, AbstractMessageListenerContainer<Object, Object>> {

    private static final Logger log = LoggerFactory.getLogger(DeduplicatedContainer.class);
    private static final Set<AckMode> CONTAINER_COMMITS = EnumSet.of(AckMode.BATCH, AckMode.RECORD, AckMode.TIME,
            AckMode.COUNT, AckMode.COUNT_TIME);
    private static final String DEFAULT_CONTAINER_FACTORY = "kafkaListenerContainerFactory";

    private final ConfigurableListableBeanFactory beanFactory;
    private final Method method;
    private final Deduplicated deduplicated;
    private final String ownPostProcessor;
    private final String containerFactory;

    DeduplicatedContainer(ConfigurableListableBeanFactory beanFactory, Method method, Deduplicated deduplicated,
            String ownPostProcessor, String containerFactory) {
        this.beanFactory = beanFactory;
        this.method = method;
        this.deduplicated = deduplicated;
        this.ownPostProcessor = ownPostProcessor;
        this.containerFactory = containerFactory;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void postProcess(AbstractMessageListenerContainer<Object, Object> container) {
        if (StringUtils.hasText(ownPostProcessor)) {
            beanFactory.getBean(resolve(ownPostProcessor), ContainerPostProcessor.class).postProcess(container);
        }
        String listener = "@Deduplicated listener " + method.getDeclaringClass().getSimpleName() + "." + method.getName()
                + " (container " + container.getListenerId() + ")";
        ContainerProperties properties = container.getContainerProperties();
        checkCommits(listener, properties);
        ensureErrorHandler(listener, container);

        ListenerTemplates templates = beanFactory.getBean(ListenerTemplates.class);
        String consumer = StringUtils.hasText(deduplicated.consumer()) ? resolve(deduplicated.consumer())
                : container.getGroupId();
        if (!StringUtils.hasText(consumer)) {
            throw new IllegalStateException(listener + " has no group id to name its dedup consumer; set "
                    + "@Deduplicated(consumer = \"...\")");
        }
        if (properties.getTopics() != null) {
            templates.listensTo(List.of(properties.getTopics()));
        } else if (properties.getTopicPartitions() != null) {
            for (TopicPartitionOffset partition : properties.getTopicPartitions()) {
                templates.listensTo(List.of(partition.getTopic()));
            }
        }
        DedupKey key = key(listener, templates);
        DedupTemplate template = templates.template(consumer, key);
        Object messageListener = properties.getMessageListener();
        if (messageListener instanceof BatchMessageListener<?, ?> batch) {
            if (batch.wantsPollResult()) {
                throw new IllegalStateException(listener + " takes ConsumerRecords; a deduplicated batch listener "
                        + "takes a List (of ConsumerRecord, Message or payload)");
            }
            properties.setMessageListener(new DeduplicatingBatchListener<>((BatchMessageListener<Object, Object>) batch,
                    template, templates.oneTransactionPerBatch()));
        } else if (messageListener instanceof MessageListener<?, ?> record) {
            properties.setMessageListener(new DeduplicatingRecordListener<>((MessageListener<Object, Object>) record,
                    template));
        } else {
            throw new IllegalStateException(listener + ": unsupported message listener " + messageListener);
        }
        log.info("{}: consumer '{}', dedup key from {}", listener, consumer, key);
    }

    @SuppressWarnings("removal") // spring-kafka 4 no longer lets a container start a non-Kafka transaction
    private void checkCommits(String listener, ContainerProperties properties) {
        AckMode ackMode = properties.getAckMode();
        if (!CONTAINER_COMMITS.contains(ackMode)) {
            throw new IllegalStateException(listener + ": ack mode " + ackMode + " (spring.kafka.listener.ack-mode) "
                    + "would let the offset be committed before, or without, the database commit; use BATCH (the "
                    + "default) or RECORD, and do not acknowledge in the listener: the container commits after the "
                    + "dedup transaction");
        }
        String autoCommit = properties.getKafkaConsumerProperties().getProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
        if (autoCommit == null) {
            autoCommit = factoryAutoCommit();
        }
        if (Boolean.parseBoolean(autoCommit)) {
            throw new IllegalStateException(listener + ": enable.auto.commit=true (spring.kafka.consumer.enable-auto-commit) "
                    + "lets the consumer commit positions on its own schedule, including records not yet processed; "
                    + "remove it, the container commits after the dedup transaction");
        }
        if (properties.getTransactionManager() != null
                && !(properties.getTransactionManager() instanceof KafkaAwareTransactionManager<?, ?>)) {
            throw new IllegalStateException(listener + ": the container starts a database transaction ("
                    + properties.getTransactionManager() + ") around the listener, but the dedup transaction must be "
                    + "the outermost one; remove the container's transaction manager");
        }
    }

    private String factoryAutoCommit() {
        String name = StringUtils.hasText(containerFactory) ? resolve(containerFactory) : DEFAULT_CONTAINER_FACTORY;
        if (name == null || !beanFactory.containsBean(name)
                || !(beanFactory.getBean(name) instanceof AbstractKafkaListenerContainerFactory<?, ?, ?> factory)
                || factory.getConsumerFactory() == null) {
            return null;
        }
        Object value = factory.getConsumerFactory().getConfigurationProperties().get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
        return value == null ? null : value.toString();
    }

    private void ensureErrorHandler(String listener, AbstractMessageListenerContainer<Object, Object> container) {
        if (container.getCommonErrorHandler() != null) {
            return;
        }
        CommonErrorHandler handler = beanFactory.getBeanProvider(CommonErrorHandler.class).getIfUnique();
        if (handler == null) {
            throw new IllegalStateException(listener + " has no error handler: spring-kafka's default would skip a "
                    + "record after 10 quick attempts, also during a database outage; give the container factory the "
                    + "dedupErrorHandler bean or DedupErrorHandling.errorHandler(...)");
        }
        container.setCommonErrorHandler(handler);
    }

    private DedupKey key(String listener, ListenerTemplates templates) {
        int sources = (deduplicated.key().isEmpty() ? 0 : 1) + (deduplicated.header().isEmpty() ? 0 : 1)
                + (deduplicated.jsonField().isEmpty() ? 0 : 1);
        if (sources > 1) {
            throw new IllegalStateException(listener + ": set at most one of key, header and jsonField");
        }
        try {
            if (!deduplicated.key().isEmpty()) {
                return KeyExpression.parse(deduplicated.key());
            }
            if (!deduplicated.header().isEmpty()) {
                return DedupKey.header(resolve(deduplicated.header()));
            }
            if (!deduplicated.jsonField().isEmpty()) {
                return DedupKey.jsonField(resolve(deduplicated.jsonField()));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(listener + ": " + e.getMessage(), e);
        }
        return templates.defaultKey();
    }

    private String resolve(String value) {
        return beanFactory.resolveEmbeddedValue(value);
    }
}
