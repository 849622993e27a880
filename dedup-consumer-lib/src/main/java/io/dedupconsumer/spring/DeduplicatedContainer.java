package io.dedupconsumer.spring;

import io.dedupconsumer.kafka.DeadLetterBudget;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.HandlerResult;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.ContainerPostProcessor;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.support.TopicPartitionOffset;
import org.springframework.kafka.transaction.KafkaAwareTransactionManager;
import org.springframework.util.StringUtils;

/**
 * Prepares the container of one {@code @Deduplicated} listener when spring-kafka creates it, which is before any
 * container starts: refuses settings under which an offset could be committed before the database commit, gives it
 * an error handler that never dead-letters during a database outage, then wraps the container's message listener in
 * the dedup transaction, and logs the listener's effective policy.
 *
 * <p>Accepted ack modes are those where the container commits after the listener returned, which is after the
 * dedup commit: {@code BATCH} (the default), {@code RECORD}, {@code TIME}, {@code COUNT}, {@code COUNT_TIME} (the
 * last three only delay commits, and a redelivery after a crash is a duplicate). {@code MANUAL} and
 * {@code MANUAL_IMMEDIATE} are refused: the listener would acknowledge inside the transaction, before it commits
 * ({@code MANUAL_IMMEDIATE} commits the offset at once, so a crash or rollback after it loses the record;
 * {@code MANUAL} queues the offset even when the transaction then rolls back), and a duplicate, which never reaches
 * the listener, would never be acknowledged. {@code enable.auto.commit=true} is refused: the consumer commits
 * positions on its own schedule, including, when it closes, records fetched but not yet processed.
 * The container's consumer always reads with {@code isolation.level=read_committed} (Kafka's and Spring Boot's
 * default is {@code read_uncommitted}), whatever the factory says: the listener must never apply records of Kafka
 * transactions that are later aborted.
 */
final class DeduplicatedContainer implements ContainerPostProcessor<Object, Object, AbstractMessageListenerContainer<Object, Object>> {

    private static final Logger log = LoggerFactory.getLogger(DeduplicatedContainer.class);
    private static final Set<AckMode> CONTAINER_COMMITS = EnumSet.of(AckMode.BATCH, AckMode.RECORD, AckMode.TIME,
            AckMode.COUNT, AckMode.COUNT_TIME);
    private static final String DEFAULT_CONTAINER_FACTORY = "kafkaListenerContainerFactory";

    private final ConfigurableListableBeanFactory beanFactory;
    private final String name;
    private final @Nullable Method method;
    private final Deduplicated deduplicated;
    private final String ownPostProcessor;
    private final String containerFactory;
    private volatile @Nullable AbstractMessageListenerContainer<?, ?> prepared;
    private volatile @Nullable Object wrapper;

    /**
     * @param name the listener as users know it ({@code Class.method}, or the class of a class-level listener)
     * @param method the listener method, or {@code null} for a class-level listener
     * @param ownPostProcessor the container post-processor the listener names itself, run first
     */
    DeduplicatedContainer(ConfigurableListableBeanFactory beanFactory, String name, @Nullable Method method,
            Deduplicated deduplicated, String ownPostProcessor, String containerFactory) {
        this.beanFactory = beanFactory;
        this.name = name;
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
        String listener = "@Deduplicated listener " + name + " (container " + container.getListenerId() + ")";
        ContainerProperties properties = container.getContainerProperties();
        Map<String, Object> consumerConfig = consumerConfig(listener, properties);
        checkConsumerSettings(listener, properties, consumerConfig);

        DedupTemplates templates = beanFactory.getBean(DedupTemplates.class);
        DedupListenerSettings settings = templates.settings();
        String consumer = StringUtils.hasText(deduplicated.consumer()) ? resolve(deduplicated.consumer())
                : settings.consumerName() != null ? settings.consumerName() : container.getGroupId();
        if (!StringUtils.hasText(consumer)) {
            throw new IllegalStateException(listener + " has no group id to name its dedup consumer; set "
                    + "@Deduplicated(consumer = \"...\") or dedup.consumer-name");
        }
        if (properties.getTopics() != null) {
            templates.listensTo(List.of(properties.getTopics()));
        } else if (properties.getTopicPartitions() != null) {
            for (TopicPartitionOffset partition : properties.getTopicPartitions()) {
                templates.listensTo(List.of(partition.getTopic()));
            }
        }
        DedupKey key = key(listener, settings);
        DedupTemplate template;
        try {
            template = templates.createForListener(listener, consumer, key, DeadLetterBudget.maxPollInterval(consumerConfig));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(listener + ": " + e.getMessage(), e);
        }
        String errorHandling = beanFactory.getBean(ListenerErrorHandling.class).apply(listener, container, consumerConfig,
                new ListenerFailures(listener, template.deduplicator(), templates.meterRegistry()));
        Object messageListener = properties.getMessageListener();
        String mode;
        if (messageListener instanceof BatchMessageListener<?, ?> batch) {
            if (batch.wantsPollResult()) {
                throw new IllegalStateException(listener + " takes ConsumerRecords; a deduplicated batch listener "
                        + "takes a List (of ConsumerRecord, Message or payload)");
            }
            if (settings.oneTransactionPerBatch() && method != null
                    && HandlerResult.class.isAssignableFrom(method.getReturnType())) {
                throw new IllegalStateException(listener + " returns one HandlerResult, but a deduplicated batch "
                        + "listener is called once with all the poll's newly claimed records; declare it to return "
                        + "List<HandlerResult> (one per record, in order) or void, or set dedup.batch.one-transaction=false "
                        + "to have it called record by record");
            }
            wrapper = new DeduplicatingBatchListener<>((BatchMessageListener<Object, Object>) batch, template,
                    settings.oneTransactionPerBatch());
            mode = settings.oneTransactionPerBatch() ? "batch, one transaction per poll" : "batch, one transaction per record";
        } else if (messageListener instanceof MessageListener<?, ?> record) {
            wrapper = new DeduplicatingRecordListener<>((MessageListener<Object, Object>) record, template);
            mode = "record, one transaction per record";
        } else {
            throw new IllegalStateException(listener + ": unsupported message listener " + messageListener
                    + "; a deduplicated listener is a record or batch MessageListener of a Kafka listener container");
        }
        properties.setMessageListener(wrapper);
        prepared = container;
        log.info("{}: consumer '{}', dedup key from {}, {}, conflicts {}; error handling: {}", listener, consumer, key,
                mode, settings.conflictPolicy(), errorHandling);
    }

    /**
     * Whether the listener runs deduplicated: a container factory ran this post-processor, and the container's message
     * listener is still the deduplicating one.
     */
    boolean wrapped() {
        AbstractMessageListenerContainer<?, ?> container = prepared;
        return container != null && container.getContainerProperties().getMessageListener() == wrapper;
    }

    String name() {
        return name;
    }

    @SuppressWarnings("removal") // spring-kafka 4 no longer lets a container start a non-Kafka transaction
    private void checkConsumerSettings(String listener, ContainerProperties properties, Map<String, Object> config) {
        AckMode ackMode = properties.getAckMode();
        if (!CONTAINER_COMMITS.contains(ackMode)) {
            throw new IllegalStateException(listener + ": ack mode " + ackMode + " (spring.kafka.listener.ack-mode) "
                    + "would let the offset be committed before, or without, the database commit; use BATCH (the "
                    + "default) or RECORD, and do not acknowledge in the listener: the container commits after the "
                    + "dedup transaction");
        }
        if (Boolean.parseBoolean(String.valueOf(config.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG)).trim())) {
            throw new IllegalStateException(listener + ": enable.auto.commit=true (spring.kafka.consumer.enable-auto-commit) "
                    + "lets the consumer commit positions on its own schedule, including records not yet processed; "
                    + "remove it, the container commits after the dedup transaction");
        }
        // Kafka's default, and Spring Boot's (which sets it explicitly, so an application's own choice cannot be told
        // from it), is read_uncommitted: the listener would apply records of Kafka transactions that are later
        // aborted. The container's own consumer properties win over the factory's.
        properties.getKafkaConsumerProperties().setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        if (properties.getTransactionManager() != null
                && !(properties.getTransactionManager() instanceof KafkaAwareTransactionManager<?, ?>)) {
            throw new IllegalStateException(listener + ": the container starts a database transaction ("
                    + properties.getTransactionManager() + ") around the listener, but the dedup transaction must be "
                    + "the outermost one; remove the container's transaction manager");
        }
    }

    /**
     * The settings the container's consumer will use: its consumer factory's (found through the listener's container
     * factory), overridden by the container's own.
     *
     * @throws IllegalStateException when the container factory cannot be found: the library could then neither check
     *     the commit settings nor read dead letters back as the bytes the broker delivered
     */
    private Map<String, Object> consumerConfig(String listener, ContainerProperties properties) {
        String factoryName = StringUtils.hasText(containerFactory) ? resolve(containerFactory) : DEFAULT_CONTAINER_FACTORY;
        if (factoryName == null || !beanFactory.containsBean(factoryName)
                || !(beanFactory.getBean(factoryName) instanceof AbstractKafkaListenerContainerFactory<?, ?, ?> factory)
                || factory.getConsumerFactory() == null) {
            throw new IllegalStateException(listener + ": its container factory '" + factoryName + "' is not an "
                    + "AbstractKafkaListenerContainerFactory bean with a consumer factory, so its consumer settings "
                    + "cannot be checked; name a ConcurrentKafkaListenerContainerFactory bean in containerFactory");
        }
        Map<String, Object> config = new HashMap<>(factory.getConsumerFactory().getConfigurationProperties());
        properties.getKafkaConsumerProperties().forEach((key, value) -> config.put(key.toString(), value));
        return config;
    }

    private DedupKey key(String listener, DedupListenerSettings settings) {
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
        return settings.defaultKey();
    }

    private String resolve(String value) {
        return beanFactory.resolveEmbeddedValue(value);
    }
}
