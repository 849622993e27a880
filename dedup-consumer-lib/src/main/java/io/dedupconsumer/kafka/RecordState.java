package io.dedupconsumer.kafka;

import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * What became of one polled record, as far as committing past it is concerned: its transaction committed, or its
 * dead letter is on the way, acknowledged or refused. Only {@link Committed} and {@link DeadLetterAcknowledged} let
 * a partition's offset move past the record ({@link PartitionProgress#committableOffset()}).
 */
sealed interface RecordState {

    /** The record as polled, with its original bytes. */
    ConsumerRecord<byte[], byte[]> raw();

    /** Whether the partition's offset may move past the record. */
    boolean done();

    /** Its transaction committed, or it needed none (a {@code DUPLICATE}, a record the handler skipped). */
    record Committed(ConsumerRecord<byte[], byte[]> raw) implements RecordState {

        @Override
        public boolean done() {
            return true;
        }
    }

    /** Sent to the dead-letter topic; not acknowledged yet. */
    record DeadLetterSent(ConsumerRecord<byte[], byte[]> raw, Future<RecordMetadata> send, DeadLetterReason reason)
            implements RecordState {

        @Override
        public boolean done() {
            return false;
        }
    }

    /** The dead-letter topic acknowledged it. */
    record DeadLetterAcknowledged(ConsumerRecord<byte[], byte[]> raw, DeadLetterReason reason) implements RecordState {

        @Override
        public boolean done() {
            return true;
        }
    }

    /** The dead-letter send failed or was not acknowledged in time: the record must be tried again. */
    record DeadLetterFailed(ConsumerRecord<byte[], byte[]> raw, DeadLetterReason reason) implements RecordState {

        @Override
        public boolean done() {
            return false;
        }
    }
}
