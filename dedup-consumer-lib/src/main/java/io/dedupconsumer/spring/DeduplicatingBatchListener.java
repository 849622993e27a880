package io.dedupconsumer.spring;

import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.RecordHandler;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.listener.BatchAcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.adapter.AbstractDelegatingMessageListenerAdapter;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.SerializationUtils;

/**
 * Wraps a batch listener. In one transaction per poll (the default), the poll batch's keys are claimed together and
 * the listener method is called <em>once</em>, on the claim's transaction, with the list of the records whose keys
 * were newly claimed (duplicates, conflicts and invalid records already removed), so that it can send its
 * statements as one JDBC batch ({@code jdbcTemplate.batchUpdate}); it may return a {@code List<HandlerResult>}, one
 * per record in order. When it throws, the transaction rolls back and the deduplicator halves the records and calls
 * it again on each half until the failing record is alone; the records before it commit, and that record is reported
 * with {@link BatchListenerFailedException}, so that the error handler commits exactly the records before it and
 * retries (then dead-letters) it alone. In one transaction per record, the method is called once per newly claimed
 * record with a one-element list.
 *
 * <p>A batch listener is also given undeserializable records (a {@code null} value and the exception in a header):
 * the records before the first of them are processed, then it is handed to the error handler, which dead-letters it.
 */
final class DeduplicatingBatchListener<K, V> extends AbstractDelegatingMessageListenerAdapter<BatchMessageListener<K, V>>
        implements BatchAcknowledgingConsumerAwareMessageListener<K, V> {

    private static final LogAccessor LOG = new LogAccessor(DeduplicatingBatchListener.class);

    private final DedupTemplate template;
    private final boolean oneTransaction;

    DeduplicatingBatchListener(BatchMessageListener<K, V> delegate, DedupTemplate template, boolean oneTransaction) {
        super(delegate);
        this.template = template;
        this.oneTransaction = oneTransaction;
    }

    @Override
    public void onMessage(List<ConsumerRecord<K, V>> records, @Nullable Acknowledgment acknowledgment,
            @Nullable Consumer<?, ?> consumer) {
        int poison = -1;
        DeserializationException deserialization = null;
        for (int i = 0; i < records.size() && deserialization == null; i++) {
            deserialization = deserializationFailure(records.get(i));
            poison = i;
        }
        List<ConsumerRecord<K, V>> processable = deserialization == null ? records : records.subList(0, poison);
        if (oneTransaction) {
            BatchHandler<K, V> handler = (fresh, connection) ->
                    ListenerInvocation.runBatch(() -> invoke(fresh, acknowledgment, consumer), fresh.size());
            template.processBatchInOneCall(processable, handler);
        } else {
            RecordHandler<K, V> handler = (record, connection) ->
                    ListenerInvocation.run(() -> invoke(List.of(record), acknowledgment, consumer));
            for (ConsumerRecord<K, V> record : processable) {
                try {
                    template.process(record, handler);
                } catch (RuntimeException failure) {
                    throw new BatchListenerFailedException(failure.getMessage(), failure, record);
                }
            }
        }
        if (deserialization != null) {
            throw new BatchListenerFailedException(deserialization.getMessage(), deserialization, records.get(poison));
        }
    }

    @Override
    public void onMessage(List<ConsumerRecord<K, V>> records) {
        onMessage(records, null, null);
    }

    private static @Nullable DeserializationException deserializationFailure(ConsumerRecord<?, ?> record) {
        DeserializationException value = SerializationUtils.getExceptionFromHeader(record,
                SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER, LOG);
        return value != null ? value
                : SerializationUtils.getExceptionFromHeader(record, SerializationUtils.KEY_DESERIALIZER_EXCEPTION_HEADER, LOG);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void invoke(List<ConsumerRecord<K, V>> records, @Nullable Acknowledgment acknowledgment,
            @Nullable Consumer<?, ?> consumer) {
        switch (delegateType) {
            case ACKNOWLEDGING_CONSUMER_AWARE -> delegate.onMessage(records, acknowledgment, (Consumer) consumer);
            case ACKNOWLEDGING -> delegate.onMessage(records, acknowledgment);
            case CONSUMER_AWARE -> delegate.onMessage(records, (Consumer) consumer);
            case SIMPLE -> delegate.onMessage(records);
        }
    }
}
