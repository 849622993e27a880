package io.dedupconsumer.spring.boot;

import io.dedupconsumer.spring.Deduplicated;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.kafka.annotation.KafkaListenerAnnotationBeanPostProcessor.AnnotationEnhancer;

/**
 * Attaches a {@link DeduplicatedContainer} to the container of every {@code @KafkaListener} method that is also
 * {@code @Deduplicated}, through the listener's {@code containerPostProcessor} attribute, so that exactly those
 * containers are checked and wrapped. A post-processor the listener names itself still runs, first.
 */
final class DeduplicatedListenerEnhancer implements AnnotationEnhancer, BeanFactoryAware {

    private static final String CONTAINER_POST_PROCESSOR = "containerPostProcessor";

    private final AtomicInteger count = new AtomicInteger();
    private ConfigurableListableBeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = (ConfigurableListableBeanFactory) beanFactory;
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> attributes, AnnotatedElement element) {
        if (!(element instanceof Method method)) {
            return attributes;
        }
        Deduplicated deduplicated = AnnotatedElementUtils.findMergedAnnotation(method, Deduplicated.class);
        if (deduplicated == null) {
            return attributes;
        }
        String name = "dedupContainerPostProcessor#" + count.getAndIncrement() + "("
                + method.getDeclaringClass().getSimpleName() + "." + method.getName() + ")";
        beanFactory.registerSingleton(name, new DeduplicatedContainer(beanFactory, method, deduplicated,
                (String) attributes.get(CONTAINER_POST_PROCESSOR), (String) attributes.get("containerFactory")));
        Map<String, Object> enhanced = new HashMap<>(attributes);
        enhanced.put(CONTAINER_POST_PROCESSOR, name);
        return enhanced;
    }
}
