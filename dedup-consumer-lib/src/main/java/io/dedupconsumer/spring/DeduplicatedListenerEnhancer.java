package io.dedupconsumer.spring;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.kafka.annotation.KafkaHandler;
import org.springframework.kafka.annotation.KafkaListenerAnnotationBeanPostProcessor.AnnotationEnhancer;
import org.springframework.util.ReflectionUtils;

/**
 * Attaches a {@link DeduplicatedContainer} to the container of every {@code @KafkaListener} that is also
 * {@code @Deduplicated}, through the listener's {@code containerPostProcessor} attribute, so that exactly those
 * containers are checked and wrapped. A post-processor the listener names itself still runs, first.
 *
 * <p>A class-level {@code @KafkaListener} has one container for all its {@code @KafkaHandler} methods, so the claim
 * happens before a handler is chosen: {@code @Deduplicated} goes on the class, or on every handler with the same
 * settings. Marking only some handlers is refused, since the others would be deduplicated too, or not at all.
 */
final class DeduplicatedListenerEnhancer implements AnnotationEnhancer, BeanFactoryAware {

    private static final String CONTAINER_POST_PROCESSOR = "containerPostProcessor";

    private final AtomicInteger count = new AtomicInteger();
    private final List<DeduplicatedContainer> containers = new CopyOnWriteArrayList<>();
    private ConfigurableListableBeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = (ConfigurableListableBeanFactory) beanFactory;
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> attributes, AnnotatedElement element) {
        String name;
        Deduplicated deduplicated;
        if (element instanceof Method method) {
            name = method.getDeclaringClass().getSimpleName() + "." + method.getName();
            deduplicated = AnnotatedElementUtils.findMergedAnnotation(method, Deduplicated.class);
        } else if (element instanceof Class<?> type) {
            name = type.getSimpleName();
            deduplicated = classLevel(type);
        } else {
            return attributes;
        }
        if (deduplicated == null) {
            return attributes;
        }
        String postProcessor = "dedupContainerPostProcessor#" + count.getAndIncrement() + "(" + name + ")";
        DeduplicatedContainer container = new DeduplicatedContainer(beanFactory, name,
                element instanceof Method method ? method : null, deduplicated,
                (String) attributes.get(CONTAINER_POST_PROCESSOR), (String) attributes.get("containerFactory"));
        containers.add(container);
        beanFactory.registerSingleton(postProcessor, container);
        Map<String, Object> enhanced = new HashMap<>(attributes);
        enhanced.put(CONTAINER_POST_PROCESSOR, postProcessor);
        return enhanced;
    }

    /** The containers attached so far, to check at start-up that each one was prepared. */
    List<DeduplicatedContainer> containers() {
        return List.copyOf(containers);
    }

    /** The class's {@code @Deduplicated}, or that of all its handlers when they agree. */
    private static @Nullable Deduplicated classLevel(Class<?> type) {
        Deduplicated onClass = AnnotatedElementUtils.findMergedAnnotation(type, Deduplicated.class);
        List<String> marked = new ArrayList<>();
        List<String> unmarked = new ArrayList<>();
        Deduplicated[] onHandlers = {null};
        ReflectionUtils.doWithMethods(type, method -> {
            Deduplicated onMethod = AnnotatedElementUtils.findMergedAnnotation(method, Deduplicated.class);
            if (onMethod == null) {
                unmarked.add(method.getName());
                return;
            }
            marked.add(method.getName());
            if (onHandlers[0] != null && !onHandlers[0].equals(onMethod)) {
                throw new IllegalStateException("@Deduplicated on the @KafkaHandler methods of " + type.getName()
                        + " differs between " + marked + ": the class-level listener has one container, claimed "
                        + "before a handler is chosen; put one @Deduplicated on the class instead");
            }
            onHandlers[0] = onMethod;
        }, method -> AnnotatedElementUtils.hasAnnotation(method, KafkaHandler.class));
        if (onClass != null) {
            if (onHandlers[0] != null && !onHandlers[0].equals(onClass)) {
                throw new IllegalStateException("@Deduplicated on " + type.getName() + " and on its handlers " + marked
                        + " differ; keep the one on the class");
            }
            return onClass;
        }
        if (onHandlers[0] != null && !unmarked.isEmpty()) {
            throw new IllegalStateException("the class-level @KafkaListener " + type.getName() + " marks only some of its "
                    + "@KafkaHandler methods @Deduplicated " + marked + " (not " + unmarked + "), but its one container "
                    + "claims every record before a handler is chosen; put @Deduplicated on the class");
        }
        return onHandlers[0];
    }
}
