package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.spring.DedupListenerSettings;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.DedupTemplates;
import io.dedupconsumer.spring.Deduplicated;
import java.time.Duration;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.transaction.PlatformTransactionManager;

/** The auto-configuration on an embedded H2 database, without a broker: conditions, binding, validation, overrides. */
class DedupAutoConfigurationTests {

    private final ApplicationContextRunner runner = BootAutoConfigurations.onH2WithoutABroker();

    @Test
    void registersTheDedupBeansAndCreatesTheDedupTable() {
        runner.run(context -> {
            assertThat(context).hasNotFailed()
                    .hasSingleBean(DedupTemplates.class)
                    .hasSingleBean(DedupListenerSettings.class)
                    .hasSingleBean(CommonErrorHandler.class) // for listeners calling the DedupTemplate themselves
                    .doesNotHaveBean(DedupTemplate.class);
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM dedup_record", Integer.class)).isZero();
        });
    }

    @Test
    void backsOffEntirelyWhenDisabled() {
        runner.withPropertyValues("dedup.enabled=false", "dedup.consumer-name=orders").run(context -> assertThat(context)
                .hasNotFailed()
                .doesNotHaveBean(DedupTemplates.class)
                .doesNotHaveBean(DedupTemplate.class)
                .doesNotHaveBean(DedupProperties.class));
    }

    @Test
    void backsOffWithoutSpringKafkaOnTheClassPath() {
        runner.withClassLoader(new FilteredClassLoader(KafkaTemplate.class)).run(context -> assertThat(context)
                .doesNotHaveBean(DedupProperties.class).doesNotHaveBean(DedupTemplates.class));
    }

    @Test
    void backsOffWithoutADataSource() {
        new ApplicationContextRunner()
                .withConfiguration(BootAutoConfigurations.withDedup("KafkaAutoConfiguration"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DedupProperties.class));
    }

    @Test
    void leavesTheSchemaAloneWhenMigrationIsTurnedOff() {
        runner.withPropertyValues("dedup.schema.migrate=false").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(SchemaMigration.class);
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'DEDUP_RECORD'",
                    Integer.class)).isZero();
        });
    }

    @Test
    void dedupTemplateTakesTheConsumerNameFromDedupConsumerNameOrElseTheKafkaGroupId() {
        runner.withPropertyValues("spring.kafka.consumer.group-id=billing").run(context ->
                assertThat(context.getBean(DedupTemplate.class).deduplicator().consumerName()).isEqualTo("billing"));
        runner.withPropertyValues("spring.kafka.consumer.group-id=billing", "dedup.consumer-name=invoices").run(context ->
                assertThat(context.getBean(DedupTemplate.class).deduplicator().consumerName()).isEqualTo("invoices"));
    }

    @Test
    void buildsTheListenerSettingsAndTheTemplateFromTheProperties() {
        runner.withPropertyValues("dedup.table=app.my_dedup", "dedup.consumer-name=orders",
                "dedup.conflict-policy=fail", "dedup.retention=14d", "dedup.key.json-field=/payment/txId",
                "dedup.batch.one-transaction=false", "dedup.retry.initial-interval=200ms", "dedup.retry.multiplier=3",
                "dedup.retry.max-interval=5s", "dedup.retry.max-attempts=2", "dedup.schema.migrate=false").run(context -> {
            assertThat(context).hasNotFailed();
            DedupProperties properties = context.getBean(DedupProperties.class);
            assertThat(properties.getTable()).isEqualTo("app.my_dedup");
            assertThat(properties.getConflictPolicy()).isEqualTo(ConflictPolicy.FAIL);
            assertThat(properties.getRetention()).isEqualTo(Duration.ofDays(14));
            assertThat(context.getBean(DedupListenerSettings.class).defaultKey()).hasToString("the JSON field '/payment/txId'");
            assertThat(properties.getBatch().isOneTransaction()).isFalse();
            assertThat(properties.getRetry().getInitialInterval()).isEqualTo(Duration.ofMillis(200));
            assertThat(properties.getRetry().getMultiplier()).isEqualTo(3.0);
            assertThat(properties.getRetry().getMaxInterval()).isEqualTo(Duration.ofSeconds(5));
            assertThat(properties.getRetry().getMaxAttempts()).isEqualTo(2);
            assertThat(context.getBean(DedupTemplate.class)).hasToString("DedupTemplate[consumer=orders, conflictPolicy=FAIL]");
            assertThat(context.getBean(DedupTemplate.class).deduplicator().table()).isEqualTo("app.my_dedup");
        });
    }

    @Test
    void refusesAnotherTableNameThanTheMigrationCreates() {
        runner.withPropertyValues("dedup.table=my_dedup").run(context -> assertThat(context).hasFailed()
                .getFailure().rootCause().hasMessageContaining("dedup.table").hasMessageContaining("dedup.schema.migrate=false"));
    }

    @Test
    void refusesTwoKeySources() {
        runner.withPropertyValues("dedup.key.header=event-id", "dedup.key.json-field=eventId").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("dedup.key").hasMessageContaining("at most one"));
    }

    @Test
    void refusesATransactionManagerOfAnotherDataSource() {
        runner.withUserConfiguration(OtherTransactionManager.class).run(context -> assertThat(context).hasFailed()
                .getFailure().rootCause().hasMessageContaining("two transactions"));
    }

    @Test
    void applicationBeansWin() {
        runner.withUserConfiguration(OwnBeans.class).withPropertyValues("dedup.consumer-name=orders").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(DedupTemplate.class)).isSameAs(context.getBean(OwnBeans.class).template);
            assertThat(context.getBean(DedupListenerSettings.class)).isSameAs(context.getBean(OwnBeans.class).settings);
        });
    }

    @Test
    void migratesAfterTheApplicationsOwnFlywayOnAFreshDatabase() {
        runner.withConfiguration(AutoConfigurations.of(BootAutoConfigurations.resolve("FlywayAutoConfiguration")))
                .withPropertyValues("spring.flyway.locations=classpath:db/app").run(context -> {
                    assertThat(context).hasNotFailed();
                    JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM app_order", Integer.class)).isZero();
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM dedup_record", Integer.class)).isZero();
                });
    }

    @Test
    void refusesManualAcknowledgementNamingTheProperty() {
        runner.withBean(AnnotatedListener.class).withPropertyValues("spring.kafka.listener.ack-mode=manual_immediate")
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("MANUAL_IMMEDIATE").hasMessageContaining("spring.kafka.listener.ack-mode")
                        .hasMessageContaining("AnnotatedListener.on"));
    }

    @Test
    void refusesEnableAutoCommitNamingTheProperty() {
        runner.withBean(AnnotatedListener.class).withPropertyValues("spring.kafka.consumer.enable-auto-commit=true")
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("enable.auto.commit=true")
                        .hasMessageContaining("spring.kafka.consumer.enable-auto-commit"));
    }

    @Test
    void acceptsTheDefaultAckModeAndWrapsTheListener() {
        runner.withBean(AnnotatedListener.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainers())
                    .singleElement()
                    .satisfies(container -> assertThat(container.getContainerProperties().getMessageListener())
                            .extracting(listener -> listener.getClass().getSimpleName())
                            .isEqualTo("DeduplicatingRecordListener"));
        });
    }

    @Test
    void aDeduplicatedMethodRefusesToRunOutsideItsListenerContainer() {
        runner.withBean(AnnotatedListener.class).run(context ->
                assertThatThrownBy(() -> context.getBean(AnnotatedListener.class).on("called directly"))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("outside a deduplicating listener container"));
    }

    @Test
    void refusesAListenerNamingTwoKeySources() {
        runner.withBean(TwoKeySources.class).run(context -> assertThat(startupFailure(context))
                .hasMessageContaining("TwoKeySources.on").hasMessageContaining("at most one of key, header and jsonField"));
    }

    private static Throwable startupFailure(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        return NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure());
    }

    @Configuration(proxyBeanMethods = false)
    static class OtherTransactionManager {
        @Bean
        PlatformTransactionManager otherTransactionManager() {
            JdbcDataSource other = new JdbcDataSource();
            other.setURL("jdbc:h2:mem:other");
            return new DataSourceTransactionManager(other);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnBeans {
        DedupTemplate template;
        DedupListenerSettings settings = DedupListenerSettings.builder().maxAttempts(3).build();

        @Bean
        DedupListenerSettings ownSettings() {
            return settings;
        }

        @Bean
        DedupTemplate ownTemplate(DedupTemplates templates) {
            template = templates.create("own", io.dedupconsumer.core.DedupKey.recordKey());
            return template;
        }
    }

    public static class TwoKeySources {
        @Deduplicated(header = "event-id", jsonField = "eventId")
        @KafkaListener(topics = "orders", groupId = "orders")
        public void on(String payload) {
        }
    }

    public static class AnnotatedListener {
        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "orders", groupId = "orders")
        public void on(String payload) {
        }
    }
}
