package io.dedupconsumer.spring;

import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The machinery behind {@link Deduplicated @Deduplicated}, imported by {@link EnableDeduplication}: an annotation
 * enhancer that attaches a container post-processor to each deduplicated listener, a proxy around the annotated
 * methods that refuses to run outside a dedup transaction, the templates the containers run, their error handling,
 * and the start-up check that every deduplicated listener is wrapped.
 */
@Configuration(proxyBeanMethods = false)
class DeduplicationConfiguration {

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
    DedupTemplates dedupTemplates(ObjectProvider<DedupListenerSettings> settings,
            ObjectProvider<SpringTransactionRunner> transactionRunner, ObjectProvider<DataSource> dataSources,
            ObjectProvider<PlatformTransactionManager> transactionManager, ObjectProvider<MeterRegistry> meterRegistry) {
        SpringTransactionRunner transactions = transactionRunner.getIfUnique(() -> {
            DataSource dataSource = dataSources.getIfUnique();
            if (dataSource == null) {
                throw new IllegalStateException("@Deduplicated listeners need the DataSource of their writes, and the "
                        + "application has " + (dataSources.stream().count() == 0 ? "none" : "several, none of them primary")
                        + "; declare one, mark one @Primary, or declare a SpringTransactionRunner bean for the one to use");
            }
            return new SpringTransactionRunner(transactionManager.getIfUnique(() -> new DataSourceTransactionManager(dataSource)),
                    dataSource);
        });
        return new DedupTemplates(settings.getIfAvailable(DedupListenerSettings::defaults), transactions,
                meterRegistry.getIfUnique());
    }

    @Bean
    ListenerErrorHandling dedupListenerErrorHandling(DedupTemplates templates,
            ObjectProvider<ConsumerRecordRecoverer> recoverers, ObjectProvider<ProducerFactory<?, ?>> producerFactories,
            ObjectProvider<ConsumerFactory<?, ?>> consumerFactories) {
        return new ListenerErrorHandling(templates.settings(), recoverers, producerFactories, consumerFactories);
    }

    @Bean
    DeduplicatedListenersCheck dedupListenersCheck(DeduplicatedListenerEnhancer enhancer) {
        return new DeduplicatedListenersCheck(enhancer);
    }
}
