package io.dedupconsumer.spring;

import java.util.List;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;

/**
 * Checks, after the listener containers are created and before any of them starts, that every {@code @Deduplicated}
 * listener will run wrapped in the dedup transaction. A container factory that does not apply container
 * post-processors (a hand-written {@code KafkaListenerContainerFactory}, say), or a message listener replaced after
 * the wrapping, would otherwise let the listener apply every redelivery again: the application refuses to start.
 */
final class DeduplicatedListenersCheck implements SmartLifecycle {

    private final DeduplicatedListenerEnhancer enhancer;
    private volatile boolean running;

    DeduplicatedListenersCheck(DeduplicatedListenerEnhancer enhancer) {
        this.enhancer = enhancer;
    }

    @Override
    public void start() {
        List<String> unwrapped = enhancer.containers().stream().filter(container -> !container.wrapped())
                .map(DeduplicatedContainer::name).toList();
        if (!unwrapped.isEmpty()) {
            throw new IllegalStateException("the @Deduplicated listener(s) " + unwrapped + " would run without "
                    + "deduplication: their container factory did not apply the container post-processor that wraps "
                    + "them in the dedup transaction, or their message listener was replaced afterwards. Use a "
                    + "ConcurrentKafkaListenerContainerFactory (or another AbstractKafkaListenerContainerFactory) for "
                    + "them, and do not replace the container's message listener. Share-group listeners "
                    + "(ShareKafkaListenerContainerFactory) are not deduplicated by @Deduplicated yet: consume a share "
                    + "group with io.dedupconsumer.kafka.DedupShareConsumerRunner");
        }
        running = true;
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the listener containers and the start-up checks of the dedup window. */
    @Override
    public int getPhase() {
        return AbstractMessageListenerContainer.DEFAULT_PHASE - 200;
    }
}
