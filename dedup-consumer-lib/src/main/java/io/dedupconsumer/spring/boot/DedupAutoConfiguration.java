package io.dedupconsumer.spring.boot;

import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.spring.DedupErrorHandling;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.SpringTransactionRunner;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.kafka.KafkaAutoConfiguration;
import org.springframework.boot.autoconfigure.kafka.KafkaProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Auto-configuration of dedup-consumer for a Spring Boot application with spring-kafka and one {@code DataSource}:
 * {@code @Deduplicated} listeners, a {@link DedupTemplate}, the transaction runner that lets the listener's
 * {@code JdbcTemplate} join the dedup transaction, the dedup table's migration, and the error handler with its
 * dead-letter recoverer, the scheduled purge of keys older than {@code dedup.retention} and a start-up check of that
 * window against the listened topics' retention. Every bean backs off when the application defines its own. {@code dedup.enabled=false}
 * turns all of it off.
 */
@AutoConfiguration(after = {DataSourceAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
        KafkaAutoConfiguration.class},
        afterName = {"org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
                "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({KafkaTemplate.class, JdbcTemplate.class})
@ConditionalOnProperty(prefix = "dedup", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(DedupProperties.class)
public final class DedupAutoConfiguration {

    private static final String FLYWAY_INITIALIZER = "org.springframework.boot.autoconfigure.flyway.FlywayMigrationInitializer";

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static DeduplicatedListenerEnhancer dedupListenerEnhancer() {
        return new DeduplicatedListenerEnhancer();
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static DeduplicatedMethodPostProcessor dedupMethodPostProcessor() {
        return new DeduplicatedMethodPostProcessor();
    }

    @Bean
    @ConditionalOnMissingBean
    SpringTransactionRunner dedupTransactionRunner(DataSource dataSource,
            ObjectProvider<PlatformTransactionManager> transactionManager) {
        return new SpringTransactionRunner(transactionManager.getIfUnique(() -> new DataSourceTransactionManager(dataSource)),
                dataSource);
    }

    @Bean
    @ConditionalOnProperty(prefix = "dedup.schema", name = "migrate", havingValue = "true", matchIfMissing = true)
    SchemaMigration dedupSchemaMigration(DataSource dataSource, ListableBeanFactory beanFactory) {
        // The application's own Flyway migration first (looked up by name: Flyway is optional).
        ClassLoader classLoader = DedupAutoConfiguration.class.getClassLoader();
        if (ClassUtils.isPresent(FLYWAY_INITIALIZER, classLoader)) {
            beanFactory.getBeanProvider(ClassUtils.resolveClassName(FLYWAY_INITIALIZER, classLoader))
                    .ifAvailable(initializer -> { });
        }
        return new SchemaMigration(dataSource);
    }

    @Bean
    ListenerTemplates dedupListenerTemplates(DedupProperties properties, SpringTransactionRunner transactionRunner,
            ObjectProvider<MeterRegistry> meterRegistry, ObjectProvider<SchemaMigration> schemaMigration) {
        schemaMigration.ifAvailable(migration -> { }); // the table exists before any template is used
        return new ListenerTemplates(properties, transactionRunner, meterRegistry.getIfUnique());
    }

    @Bean
    @ConditionalOnMissingBean
    @Conditional(ConsumerNameCondition.class)
    DedupTemplate dedupTemplate(ListenerTemplates templates, DedupProperties properties, Environment environment) {
        String consumerName = StringUtils.hasText(properties.getConsumerName()) ? properties.getConsumerName()
                : environment.getProperty("spring.kafka.consumer.group-id");
        return templates.template(consumerName, templates.defaultKey());
    }

    @Bean
    @ConditionalOnBean(KafkaProperties.class)
    @ConditionalOnMissingBean(ConsumerRecordRecoverer.class)
    DeadLetterProducer dedupDeadLetterProducer(KafkaProperties kafkaProperties, ObjectProvider<SslBundles> sslBundles) {
        return new DeadLetterProducer(kafkaProperties.buildProducerProperties(sslBundles.getIfAvailable()));
    }

    @Bean
    @ConditionalOnBean(DeadLetterProducer.class)
    @ConditionalOnMissingBean(ConsumerRecordRecoverer.class)
    DeadLetterPublishingRecoverer dedupDeadLetterRecoverer(DeadLetterProducer producer) {
        return DedupErrorHandling.deadLetterRecoverer(producer.template());
    }

    @Bean
    @ConditionalOnMissingBean(CommonErrorHandler.class)
    DefaultErrorHandler dedupErrorHandler(ConsumerRecordRecoverer recoverer, DedupProperties properties) {
        DedupProperties.Retry retry = properties.getRetry();
        ExponentialBackOff retries = backOff(retry);
        retries.setMaxAttempts(retry.getMaxAttempts() - 1);
        return DedupErrorHandling.errorHandler(recoverer, retries, backOff(retry));
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "dedup.purge", name = "enabled", havingValue = "true", matchIfMissing = true)
    DedupRetention dedupRetention(DataSource dataSource, DedupProperties properties,
            ObjectProvider<MeterRegistry> meterRegistry, ObjectProvider<SchemaMigration> schemaMigration) {
        schemaMigration.ifAvailable(migration -> { }); // purge a table that exists
        DedupRetention.Builder retention = DedupRetention.builder().dataSource(dataSource).table(properties.getTable())
                .window(properties.getRetention()).batchSize(properties.getPurge().getBatchSize());
        meterRegistry.ifUnique(retention::meterRegistry);
        return retention.build().start(properties.getPurge().getInterval());
    }

    @Bean
    @ConditionalOnBean(KafkaAdmin.class)
    TopicRetentionCheck dedupTopicRetentionCheck(KafkaAdmin kafkaAdmin, DedupProperties properties,
            ListenerTemplates templates) {
        return new TopicRetentionCheck(kafkaAdmin, properties, templates);
    }

    private static ExponentialBackOff backOff(DedupProperties.Retry retry) {
        ExponentialBackOff backOff = new ExponentialBackOff(retry.getInitialInterval().toMillis(), retry.getMultiplier());
        backOff.setMaxInterval(retry.getMaxInterval().toMillis());
        return backOff;
    }

    /** A {@link DedupTemplate} bean needs a consumer name: {@code dedup.consumer-name} or the Kafka group id. */
    static final class ConsumerNameCondition extends AnyNestedCondition {

        ConsumerNameCondition() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty("dedup.consumer-name")
        static final class DedupConsumerName {
        }

        @ConditionalOnProperty("spring.kafka.consumer.group-id")
        static final class KafkaGroupId {
        }
    }
}
