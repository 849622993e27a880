package io.dedupconsumer.spring;

import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.kafka.annotation.KafkaHandler;

/**
 * Proxies beans with {@code @Deduplicated} methods, and the {@code @KafkaHandler} methods of classes that are
 * {@code @Deduplicated} (class-based proxies, so the {@code @KafkaListener} method stays visible), before spring-kafka
 * registers their listeners, which it does at the lowest precedence.
 */
final class DeduplicatedMethodPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {
    private static final long serialVersionUID = 1L;

    DeduplicatedMethodPostProcessor() {
        ComposablePointcut deduplicated = new ComposablePointcut(AnnotationMatchingPointcut.forMethodAnnotation(Deduplicated.class))
                .union(new AnnotationMatchingPointcut(Deduplicated.class, KafkaHandler.class, true));
        this.advisor = new DefaultPointcutAdvisor(deduplicated, new DeduplicatedMethodInterceptor());
        setProxyTargetClass(true);
        setBeforeExistingAdvisors(true);
        setOrder(Ordered.LOWEST_PRECEDENCE - 1);
    }
}
