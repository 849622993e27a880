package io.dedupconsumer.spring;

import io.dedupconsumer.kafka.DeadLetterBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;

/**
 * The error handling of an application's deduplicated listeners, as a bean that
 * {@link EnableDeduplication @EnableDeduplication} registers. Each {@code @Deduplicated} listener's container gets
 * an error handler that keeps the library's promises: the library's own when the container has none (or has the
 * shared one of {@link #errorHandler()}: retries, then the dead-letter topic, outages retried without end), or the
 * application's own handler with outages kept apart ({@link DedupErrorHandling#withOutageHandling}). The dead-letter
 * recoverer is the application's {@link ConsumerRecordRecoverer} bean when there is one, else a publisher to
 * {@code <topic>-dlt} on the application's producer settings, with serializers that keep the consumed bytes.
 *
 * <p>Listeners that call a {@link DedupTemplate} themselves need the same handling on their container factory:
 * Spring Boot gives its default factory {@link #errorHandler()} (unless the application declares its own
 * {@code CommonErrorHandler}); without Boot, set it on the factory.
 */
public final class ListenerErrorHandling implements DisposableBean {

    private final DedupListenerSettings settings;
    private final ObjectProvider<ConsumerRecordRecoverer> recoverers;
    private final ObjectProvider<ProducerFactory<?, ?>> producerFactories;
    private final ObjectProvider<ConsumerFactory<?, ?>> consumerFactories;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private @Nullable DefaultErrorHandler shared;

    ListenerErrorHandling(DedupListenerSettings settings, ObjectProvider<ConsumerRecordRecoverer> recoverers,
            ObjectProvider<ProducerFactory<?, ?>> producerFactories, ObjectProvider<ConsumerFactory<?, ?>> consumerFactories) {
        this.settings = settings;
        this.recoverers = recoverers;
        this.producerFactories = producerFactories;
        this.consumerFactories = consumerFactories;
    }

    /**
     * The library's error handler, for the container factory of listeners that call a {@link DedupTemplate}
     * themselves: {@code DedupListenerSettings} retries, then the dead-letter recoverer; {@code INVALID} and
     * {@code CONFLICT} records dead-lettered at once; a database outage retried without end, never dead-lettered.
     * Its dead letters are read back as bytes with the settings of the application's single {@code ConsumerFactory}.
     *
     * @throws IllegalStateException when no dead-letter recoverer can be built (no single {@code ProducerFactory} and
     *     no {@code ConsumerRecordRecoverer} bean)
     */
    public synchronized DefaultErrorHandler errorHandler() {
        if (shared == null) {
            ConsumerFactory<?, ?> consumers = consumerFactories.getIfUnique();
            Map<String, Object> consumerConfig = consumers == null ? Map.of() : consumers.getConfigurationProperties();
            shared = DedupErrorHandling.errorHandler(recoverer("the dedup error handler", consumerConfig).recoverer(),
                    settings.retryBackOff(), settings.outageBackOff(), ListenerFailures.NONE);
        }
        return shared;
    }

    /**
     * Sets the error handler of a deduplicated listener's container.
     *
     * @param consumerConfig the settings the container's consumer uses (to read dead letters back as bytes)
     * @return what the handler does, for the start-up log
     * @throws IllegalStateException when the container's own handler cannot be combined with outage retries, or no
     *     recoverer can be built
     */
    String apply(String listener, AbstractMessageListenerContainer<?, ?> container, Map<String, Object> consumerConfig,
            ListenerFailures failures) {
        CommonErrorHandler own = container.getCommonErrorHandler();
        if (own == null || own == shared) { // none, or the shared one: one of the listener's own, with its meters
            Recovery recovery = recoverer(listener, consumerConfig);
            container.setCommonErrorHandler(DedupErrorHandling.errorHandler(recovery.recoverer(), settings.retryBackOff(),
                    settings.outageBackOff(), failures));
            return "the library's: " + settings.describeRetries() + ", then " + recovery.description() + "; INVALID and "
                    + "CONFLICT records dead-lettered at once; a database outage retried without end, never dead-lettered";
        }
        if (DedupErrorHandling.handlesOutages(own)) {
            return "the application's " + own + ", which keeps database outages apart";
        }
        try {
            container.setCommonErrorHandler(DedupErrorHandling.withOutageHandling(own, settings.outageBackOff(), failures));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(listener + ": " + e.getMessage()); // the whole story, not a cause to dig for
        }
        return "the application's " + own + " for failing records; a database outage retried by the library without end"
                + " (backoff as dedup retries), never handed to it";
    }

    /** The application's recoverer bean, or one of the library's for this listener's cluster and poll interval. */
    private synchronized Recovery recoverer(String listener, Map<String, Object> consumerConfig) {
        ConsumerRecordRecoverer own = recoverers.getIfUnique();
        if (own != null) {
            return new Recovery(own, "the application's recoverer " + own);
        }
        ProducerFactory<?, ?> factory = producerFactories.getIfUnique();
        if (factory == null) {
            throw new IllegalStateException(listener + " dead-letters records it cannot process, but the application "
                    + "has no single ProducerFactory bean to send them with (Spring Boot defines one); declare a "
                    + "ProducerFactory, a ConsumerRecordRecoverer bean, or give the container factory an error handler "
                    + "of your own");
        }
        DeadLetterBudget budget = DeadLetterBudget.of(consumerConfig);
        DeadLetterRecoverer recoverer = new DeadLetterRecoverer(
                new DeadLetterProducer(factory.getConfigurationProperties(), budget),
                new OriginalRecords(consumerConfig, budget));
        closeables.add(recoverer);
        return new Recovery(recoverer, "the dead-letter topic <topic>" + DedupErrorHandling.DEAD_LETTER_SUFFIX
                + " with the bytes the broker delivered (each send bounded by " + budget.perStep().toMillis() + " ms)");
    }

    @Override
    public synchronized void destroy() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        closeables.clear();
    }

    private record Recovery(ConsumerRecordRecoverer recoverer, String description) {
    }
}
