package io.dedupconsumer.spring.boot;

import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.spring.DedupListenerSettings;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.DedupTemplates;
import io.dedupconsumer.spring.EnableDeduplication;
import io.dedupconsumer.spring.ListenerErrorHandling;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.StringUtils;

/**
 * Auto-configuration of dedup-consumer for a Spring Boot application (3.5 and 4.x) with spring-kafka and one
 * {@code DataSource}: imports {@link EnableDeduplication @EnableDeduplication}, builds its
 * {@link DedupListenerSettings} from the {@code dedup.*} properties, and adds what Boot users expect on top: the dedup
 * table's migration (ordered after the application's own Flyway or Liquibase migrations through Boot's database
 * initialization detection), the library's error handler for Boot's default container factory, a {@link DedupTemplate} bean, the scheduled purge of keys older than
 * {@code dedup.retention}, and a start-up check of that window against the listened topics' retention. Every bean
 * backs off when the application defines its own.
 *
 * <p>It names the auto-configurations it runs after by name, both generations' (Boot 4 moved them into modules and
 * packages of their own), so that one jar serves both. When it does not apply although {@code @Deduplicated}
 * listeners exist ({@code dedup.enabled=false}, no single {@code DataSource}, excluded), {@link DedupActivationCheck}
 * stops the start-up with the reason.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
        "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
        "org.springframework.boot.autoconfigure.kafka.KafkaAutoConfiguration",
        "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration",
        "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({KafkaTemplate.class, JdbcTemplate.class})
@ConditionalOnProperty(prefix = "dedup", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(DedupProperties.class)
@EnableDeduplication
public final class DedupAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    DedupListenerSettings dedupListenerSettings(DedupProperties properties) {
        return properties.settings();
    }

    /**
     * The library's error handler, which Boot gives its default container factory: listeners that call the
     * {@link DedupTemplate} themselves need it (outages never dead-lettered); {@code @Deduplicated} listeners get one
     * of their own in any case.
     */
    @Bean
    @ConditionalOnMissingBean(CommonErrorHandler.class)
    DefaultErrorHandler dedupErrorHandler(ListenerErrorHandling errorHandling) {
        return errorHandling.errorHandler();
    }

    @Bean
    @ConditionalOnMissingBean
    @Conditional(ConsumerNameCondition.class)
    @DependsOnDatabaseInitialization
    DedupTemplate dedupTemplate(DedupTemplates templates, DedupProperties properties, Environment environment) {
        String consumerName = StringUtils.hasText(properties.getConsumerName()) ? properties.getConsumerName()
                : environment.getProperty("spring.kafka.consumer.group-id");
        return templates.create(consumerName, templates.settings().defaultKey());
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "dedup.purge", name = "enabled", havingValue = "true", matchIfMissing = true)
    @DependsOnDatabaseInitialization
    DedupRetention dedupRetention(DataSource dataSource, DedupProperties properties,
            ObjectProvider<MeterRegistry> meterRegistry) {
        DedupRetention.Builder retention = DedupRetention.builder().dataSource(dataSource).table(properties.getTable())
                .window(properties.getRetention()).batchSize(properties.getPurge().getBatchSize());
        meterRegistry.ifUnique(retention::meterRegistry);
        Duration interval = properties.getPurge().getInterval();
        return DedupProperties.feed("dedup.purge.interval", interval, () -> retention.build().start(interval));
    }

    @Bean
    @ConditionalOnBean(KafkaAdmin.class)
    TopicRetentionCheck dedupTopicRetentionCheck(KafkaAdmin kafkaAdmin, DedupProperties properties,
            DedupTemplates templates) {
        return new TopicRetentionCheck(kafkaAdmin, properties, templates);
    }

    /**
     * The dedup table's migration, a database initializer in Boot's sense: it runs after the application's own
     * migrations, and the beans that need the table wait for it.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "dedup.schema", name = "migrate", havingValue = "true", matchIfMissing = true)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static final class Migration {

        @Bean
        SchemaMigration dedupSchemaMigration(DataSource dataSource) {
            return new SchemaMigration(dataSource);
        }
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
