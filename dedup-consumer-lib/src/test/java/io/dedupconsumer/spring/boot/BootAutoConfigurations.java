package io.dedupconsumer.spring.boot;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.ClassUtils;

/**
 * Boot's auto-configurations by simple name, from whichever generation runs the tests: Boot 4 moved them into
 * modules and packages of their own, and the same test sources run on Boot 4.1 (the default build), 4.0 and 3.5 (the
 * compatibility builds).
 */
final class BootAutoConfigurations {

    private static final List<String> PACKAGES = List.of(
            "org.springframework.boot.jdbc.autoconfigure.", "org.springframework.boot.autoconfigure.jdbc.",
            "org.springframework.boot.kafka.autoconfigure.", "org.springframework.boot.autoconfigure.kafka.",
            "org.springframework.boot.flyway.autoconfigure.", "org.springframework.boot.autoconfigure.flyway.",
            "org.springframework.boot.transaction.autoconfigure.", "org.springframework.boot.autoconfigure.transaction.",
            "org.springframework.boot.hibernate.autoconfigure.", "org.springframework.boot.autoconfigure.orm.jpa.");

    private BootAutoConfigurations() {
    }

    /** The auto-configurations named, e.g. {@code "DataSourceAutoConfiguration"}, plus dedup-consumer's own. */
    static AutoConfigurations withDedup(String... simpleNames) {
        List<Class<?>> classes = new ArrayList<>(List.of(resolve(simpleNames)));
        classes.add(DedupAutoConfiguration.class);
        classes.add(DedupActivationCheck.class);
        return AutoConfigurations.of(classes.toArray(Class<?>[]::new));
    }

    /**
     * A context runner with the DataSource, transaction and Kafka auto-configurations and dedup-consumer's own, on a
     * fresh in-memory H2 database, with a bootstrap address nothing listens on and listeners that never start: for
     * what the auto-configuration decides at start-up, no broker needed.
     */
    static ApplicationContextRunner onH2WithoutABroker() {
        return new ApplicationContextRunner()
                .withConfiguration(withDedup("DataSourceAutoConfiguration", "DataSourceTransactionManagerAutoConfiguration",
                        "KafkaAutoConfiguration"))
                .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                        "spring.kafka.bootstrap-servers=127.0.0.1:9", "spring.kafka.listener.auto-startup=false");
    }

    /** The auto-configurations named, of the running Boot generation. */
    static Class<?>[] resolve(String... simpleNames) {
        Class<?>[] classes = new Class<?>[simpleNames.length];
        for (int i = 0; i < simpleNames.length; i++) {
            classes[i] = resolve(simpleNames[i]);
        }
        return classes;
    }

    private static Class<?> resolve(String simpleName) {
        ClassLoader loader = BootAutoConfigurations.class.getClassLoader();
        for (String candidate : PACKAGES) {
            if (ClassUtils.isPresent(candidate + simpleName, loader)) {
                return ClassUtils.resolveClassName(candidate + simpleName, loader);
            }
        }
        throw new IllegalStateException("no auto-configuration " + simpleName + " on the class path");
    }
}
