package io.dedupconsumer.spring.boot;

import io.dedupconsumer.spring.Deduplicated;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.core.Ordered;

/**
 * Proxies beans with {@code @Deduplicated} methods (class-based proxies, so the {@code @KafkaListener} method stays
 * visible) before spring-kafka registers their listeners, which it does at the lowest precedence.
 */
final class DeduplicatedMethodPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {
    private static final long serialVersionUID = 1L;

    DeduplicatedMethodPostProcessor() {
        this.advisor = new DefaultPointcutAdvisor(AnnotationMatchingPointcut.forMethodAnnotation(Deduplicated.class),
                new DeduplicatedMethodInterceptor());
        setProxyTargetClass(true);
        setBeforeExistingAdvisors(true);
        setOrder(Ordered.LOWEST_PRECEDENCE - 1);
    }
}
