package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dedupconsumer.spring.Deduplicated;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.support.StaticApplicationContext;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.kafka.annotation.KafkaHandler;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpoint;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.CommonLoggingErrorHandler;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Every way the deduplicating machinery can fail to apply to a {@code @Deduplicated} listener stops the start-up with
 * the cause and the fix, instead of running the listener without its claim (no broker needed: the containers are
 * created but never started).
 */
class DeduplicatedListenersNeverRunUndeduplicatedTests {

    private final ApplicationContextRunner runner = BootAutoConfigurations.onH2WithoutABroker();

    @Test
    void refusesToStartWhenDedupIsDisabledWhileListenersAreAnnotated() {
        runner.withBean(AnnotatedListener.class).withPropertyValues("dedup.enabled=false")
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("AnnotatedListener.on")
                        .hasMessageContaining("not active")
                        .hasMessageContaining("dedup.enabled=false"));
    }

    @Test
    void refusesToStartWithoutASingleDataSource() {
        new ApplicationContextRunner()
                .withConfiguration(BootAutoConfigurations.withDedup("KafkaAutoConfiguration"))
                .withUserConfiguration(TwoDataSources.class)
                .withBean(AnnotatedListener.class)
                .withPropertyValues("spring.kafka.bootstrap-servers=127.0.0.1:9", "spring.kafka.listener.auto-startup=false")
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("AnnotatedListener.on")
                        .hasMessageContaining("DedupAutoConfiguration did not match")
                        .hasMessageContaining("DataSource"));
    }

    @Test
    void refusesToStartWithoutAnyDataSource() {
        new ApplicationContextRunner()
                .withConfiguration(BootAutoConfigurations.withDedup("KafkaAutoConfiguration"))
                .withBean(AnnotatedListener.class)
                .withPropertyValues("spring.kafka.bootstrap-servers=127.0.0.1:9", "spring.kafka.listener.auto-startup=false")
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("DedupAutoConfiguration did not match")
                        .hasMessageContaining("DataSource"));
    }

    @Test
    void refusesToStartARealApplicationThatExcludesTheAutoConfiguration() {
        SpringApplicationBuilder application = new SpringApplicationBuilder(ExcludingApplication.class)
                .web(WebApplicationType.NONE)
                .properties("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                        "spring.kafka.bootstrap-servers=127.0.0.1:9", "spring.kafka.listener.auto-startup=false",
                        "spring.autoconfigure.exclude=io.dedupconsumer.spring.boot.DedupAutoConfiguration",
                        "spring.flyway.enabled=false");
        assertThatThrownBy(application::run)
                .satisfies(failure -> assertThat(NestedExceptionUtils.getMostSpecificCause(failure))
                        .hasMessageContaining("AnnotatedListener.on")
                        .hasMessageContaining("is excluded"));
    }

    @ParameterizedTest(name = "Spring Boot {0}")
    @CsvSource({"3.4.9", "3.0.0", "2.7.18", "5.0.0"})
    void refusesDeduplicatedListenersOnABootGenerationItDoesNotSupport(String version) {
        DedupActivationCheck.DeduplicatedBeans check = new DedupActivationCheck.DeduplicatedBeans(() -> version);
        check.setBeanFactory(new StaticApplicationContext().getDefaultListableBeanFactory());
        check.setEnvironment(new MockEnvironment());
        assertThatThrownBy(() -> check.postProcessAfterInitialization(new AnnotatedListener(), "listener"))
                .isInstanceOf(BeanInitializationException.class)
                .hasMessageContaining("supports Spring Boot 3.5 and 4.x, not " + version);
        assertThat(check.postProcessAfterInitialization("not a listener", "other")).isEqualTo("not a listener");
    }

    @ParameterizedTest(name = "Spring Boot {0}")
    @CsvSource({"3.5.0", "3.5.16", "4.0.9", "4.1.2", "4.2.0-SNAPSHOT"})
    void acceptsTheBootGenerationsItSupports(String version) {
        assertThat(DedupActivationCheck.supported(version)).isTrue();
    }

    @Test
    void refusesAContainerFactoryThatDoesNotApplyContainerPostProcessors() {
        runner.withUserConfiguration(IgnoringFactory.class).withBean(ListenerOnTheIgnoringFactory.class)
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("ListenerOnTheIgnoringFactory.on")
                        .hasMessageContaining("would run without deduplication"));
    }

    @Test
    void keepsTheApplicationsErrorHandlerButNeverHandsItADatabaseOutage() {
        runner.withUserConfiguration(OwnDefaultErrorHandler.class).withBean(AnnotatedListener.class).run(context -> {
            assertThat(context).hasNotFailed();
            CommonErrorHandler handler = container(context).getCommonErrorHandler();
            assertThat(handler.getClass().getSimpleName()).isEqualTo("OutageAwareDelegatingHandler");
        });
    }

    @Test
    void refusesAnErrorHandlerThatSkipsFailedRecordsSayingHowToCombineThem() {
        runner.withUserConfiguration(OwnLoggingErrorHandler.class).withBean(AnnotatedListener.class)
                .run(context -> assertThat(startupFailure(context))
                        .hasMessageContaining("AnnotatedListener.on")
                        .hasMessageContaining("cannot be combined")
                        .hasMessageContaining("Use a DefaultErrorHandler"));
    }

    @Test
    void givesAContainerWithoutAnErrorHandlerTheLibrarysOwn() {
        runner.withBean(AnnotatedListener.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(container(context).getCommonErrorHandler().getClass().getSimpleName())
                    .isEqualTo("OutageAwareErrorHandler");
        });
    }

    @Test
    void refusesToStartWhenTheDedupTableIsMissing() {
        runner.withBean(AnnotatedListener.class).withPropertyValues("dedup.schema.migrate=false")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).hasStackTraceContaining("AnnotatedListener.on")
                            .hasStackTraceContaining("dedup_record");
                });
    }

    @Test
    void readsOnlyCommittedRecordsEvenWhenBootSaysReadUncommitted() {
        runner.withBean(AnnotatedListener.class).withPropertyValues("spring.kafka.consumer.isolation-level=read-uncommitted")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(container(context).getContainerProperties().getKafkaConsumerProperties()
                            .getProperty("isolation.level")).isEqualTo("read_committed");
                });
    }

    @Test
    void wrapsAClassLevelListenerMarkedOnTheClass() {
        runner.withBean(ClassLevelListener.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(container(context).getContainerProperties().getMessageListener().getClass().getSimpleName())
                    .isEqualTo("DeduplicatingRecordListener");
        });
    }

    @Test
    void refusesAClassLevelListenerWithOnlySomeHandlersMarked() {
        runner.withBean(PartlyMarkedClassLevelListener.class).run(context -> assertThat(startupFailure(context))
                .hasMessageContaining("marks only some of its @KafkaHandler methods")
                .hasMessageContaining("put @Deduplicated on the class"));
    }

    private static ConcurrentMessageListenerContainer<?, ?> container(AssertableApplicationContext context) {
        MessageListenerContainer container = context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainers()
                .iterator().next();
        return (ConcurrentMessageListenerContainer<?, ?>) container;
    }

    private static Throwable startupFailure(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        return NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure());
    }

    public static class AnnotatedListener {
        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "orders", groupId = "orders")
        public void on(String payload) {
        }
    }

    public static class ListenerOnTheIgnoringFactory {
        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "orders", groupId = "orders", containerFactory = "ignoringFactory")
        public void on(String payload) {
        }
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "orders", groupId = "orders")
    public static class ClassLevelListener {
        @KafkaHandler
        public void onText(String payload) {
        }

        @KafkaHandler(isDefault = true)
        public void onAnything(Object payload) {
        }
    }

    @KafkaListener(topics = "orders", groupId = "orders")
    public static class PartlyMarkedClassLevelListener {
        @Deduplicated(header = "event-id")
        @KafkaHandler
        public void onText(String payload) {
        }

        @KafkaHandler(isDefault = true)
        public void onAnything(Object payload) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoDataSources {
        @Bean
        DataSource first() {
            return h2();
        }

        @Bean
        DataSource second() {
            return h2();
        }

        private static DataSource h2() {
            JdbcDataSource dataSource = new JdbcDataSource();
            dataSource.setURL("jdbc:h2:mem:" + UUID.randomUUID());
            return dataSource;
        }
    }

    /** A factory that never applies the endpoint's container post-processor, as a hand-written one might not. */
    @Configuration(proxyBeanMethods = false)
    static class IgnoringFactory {
        @Bean
        ConcurrentKafkaListenerContainerFactory<Object, Object> ignoringFactory(ConsumerFactory<Object, Object> consumers) {
            ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>() {
                @Override
                protected void customizeContainer(ConcurrentMessageListenerContainer<Object, Object> instance,
                        KafkaListenerEndpoint endpoint) {
                }
            };
            factory.setConsumerFactory(consumers);
            factory.setAutoStartup(false);
            return factory;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDefaultErrorHandler {
        @Bean
        CommonErrorHandler ownErrorHandler() {
            return new DefaultErrorHandler(new FixedBackOff(10, 2));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnLoggingErrorHandler {
        @Bean
        CommonErrorHandler ownErrorHandler() {
            return new CommonLoggingErrorHandler();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(AnnotatedListener.class)
    static class ExcludingApplication {
    }
}
