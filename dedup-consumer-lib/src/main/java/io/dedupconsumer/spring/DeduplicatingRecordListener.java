package io.dedupconsumer.spring;

import io.dedupconsumer.spring.DedupTemplate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.AcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.adapter.AbstractDelegatingMessageListenerAdapter;
import org.springframework.kafka.support.Acknowledgment;

/**
 * Wraps a record listener so that the whole invocation (argument conversion, the method, its {@code JdbcTemplate}
 * writes) runs inside the dedup transaction, and a record whose key is already claimed never reaches it. The
 * container commits the offset after this returns, that is, after the database commit.
 */
final class DeduplicatingRecordListener<K, V> extends AbstractDelegatingMessageListenerAdapter<MessageListener<K, V>>
        implements AcknowledgingConsumerAwareMessageListener<K, V> {

    private final DedupTemplate template;

    DeduplicatingRecordListener(MessageListener<K, V> delegate, DedupTemplate template) {
        super(delegate);
        this.template = template;
    }

    @Override
    public void onMessage(ConsumerRecord<K, V> record, @Nullable Acknowledgment acknowledgment,
            @Nullable Consumer<?, ?> consumer) {
        template.process(record, (r, connection) -> ListenerInvocation.run(() -> invoke(r, acknowledgment, consumer)));
    }

    @Override
    public void onMessage(ConsumerRecord<K, V> record) {
        onMessage(record, null, null);
    }

    private void invoke(ConsumerRecord<K, V> record, @Nullable Acknowledgment acknowledgment,
            @Nullable Consumer<?, ?> consumer) {
        switch (delegateType) {
            case ACKNOWLEDGING_CONSUMER_AWARE -> delegate.onMessage(record, acknowledgment, consumer);
            case ACKNOWLEDGING -> delegate.onMessage(record, acknowledgment);
            case CONSUMER_AWARE -> delegate.onMessage(record, consumer);
            case SIMPLE -> delegate.onMessage(record);
        }
    }
}
