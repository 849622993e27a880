package io.dedupconsumer.spring.boot;

import io.dedupconsumer.spring.DedupTemplates;
import io.dedupconsumer.spring.Deduplicated;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;
import org.springframework.util.ReflectionUtils;

/**
 * The one auto-configuration of the library without conditions: it makes sure that no {@code @Deduplicated} listener
 * runs without its claim. When an application has {@code @Deduplicated} beans but the deduplicating machinery is not
 * active — {@code dedup.enabled=false}, no single {@code DataSource}, the auto-configuration excluded or skipped, a
 * Spring Boot generation the library does not support — the application refuses to start, with the cause (read from
 * Boot's condition report) and the fix. A listener that applies every redelivery again is the worst failure this
 * library can have; not starting is always better.
 */
@AutoConfiguration(after = DedupAutoConfiguration.class)
public final class DedupActivationCheck {

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static BeanPostProcessor dedupActivationCheckPostProcessor() {
        return new DeduplicatedBeans(SpringBootVersion::getVersion);
    }

    /** Whether the running Spring Boot is one the library supports: 3.5, or 4.x. */
    static boolean supported(String bootVersion) {
        if (bootVersion == null) {
            return true; // not packaged (an IDE build of Boot): nothing to tell
        }
        String[] parts = bootVersion.split("[.-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return (major == 3 && minor >= 5) || major == 4;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Refuses the first bean with {@code @Deduplicated} methods while the machinery is not active. */
    static final class DeduplicatedBeans implements BeanPostProcessor, BeanFactoryAware, EnvironmentAware {

        private final Supplier<String> bootVersion;
        private ConfigurableListableBeanFactory beanFactory;
        private Environment environment;

        DeduplicatedBeans(Supplier<String> bootVersion) {
            this.bootVersion = bootVersion;
        }

        @Override
        public void setBeanFactory(BeanFactory beanFactory) {
            this.beanFactory = (ConfigurableListableBeanFactory) beanFactory;
        }

        @Override
        public void setEnvironment(Environment environment) {
            this.environment = environment;
        }

        @Override
        public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
            Class<?> type = AopUtils.getTargetClass(bean);
            List<String> deduplicated = deduplicated(type);
            if (deduplicated.isEmpty()) {
                return bean;
            }
            String version = bootVersion.get();
            if (!supported(version)) {
                throw new BeanInitializationException("bean '" + beanName + "' has @Deduplicated listeners "
                        + deduplicated + ", but this dedup-consumer supports Spring Boot 3.5 and 4.x, not " + version
                        + ", so it does not start them undeduplicated; move to a supported Boot version (see the "
                        + "compatibility table in the README)");
            }
            if (beanFactory.getBeanNamesForType(DedupTemplates.class, true, false).length == 0) {
                throw new BeanInitializationException("bean '" + beanName + "' has @Deduplicated listeners "
                        + deduplicated + ", but the deduplication machinery is not active, so they would apply every "
                        + "redelivery again; the application does not start. Cause: " + whyInactive() + ".");
            }
            return bean;
        }

        private static List<String> deduplicated(Class<?> type) {
            List<String> methods = new ArrayList<>();
            boolean onClass = AnnotatedElementUtils.hasAnnotation(type, Deduplicated.class);
            if (onClass) {
                methods.add(type.getSimpleName());
            }
            ReflectionUtils.doWithMethods(type, (Method method) -> methods.add(type.getSimpleName() + "." + method.getName()),
                    method -> AnnotatedElementUtils.hasAnnotation(method, Deduplicated.class));
            return methods;
        }

        private String whyInactive() {
            if (!environment.getProperty("dedup.enabled", Boolean.class, true)) {
                return "dedup.enabled=false. Remove it, or remove @Deduplicated from listeners that should not be "
                        + "deduplicated";
            }
            ConditionEvaluationReport report = ConditionEvaluationReport.get(beanFactory);
            String autoConfiguration = DedupAutoConfiguration.class.getName();
            if (report.getExclusions().contains(autoConfiguration)) {
                return autoConfiguration + " is excluded (spring.autoconfigure.exclude or an exclude attribute). "
                        + "Remove the exclusion, or put @EnableDeduplication on a configuration class";
            }
            Map<String, ConditionEvaluationReport.ConditionAndOutcomes> outcomes = report.getConditionAndOutcomesBySource();
            ConditionEvaluationReport.ConditionAndOutcomes mine = outcomes.get(autoConfiguration);
            if (mine != null && !mine.isFullMatch()) {
                List<String> failed = new ArrayList<>();
                mine.forEach(outcome -> {
                    if (!outcome.getOutcome().isMatch()) {
                        failed.add(outcome.getOutcome().getMessage());
                    }
                });
                return autoConfiguration + " did not match: " + String.join("; ", failed) + ". It needs spring-kafka, "
                        + "spring-jdbc and exactly one DataSource (or one marked @Primary); in a Boot 4 application add "
                        + "spring-boot-starter-jdbc and spring-boot-starter-kafka";
            }
            return autoConfiguration + " was not applied (no auto-configuration in this application?). Use "
                    + "@SpringBootApplication, or put @EnableDeduplication on a configuration class";
        }
    }
}
