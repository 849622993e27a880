package io.dedupconsumer.audit;

import io.dedupconsumer.kafka.DeadLetterHeaders;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;

/**
 * The dead letters of one topic, by the coordinates of the record each stands for, read from the library's
 * dead-letter contract ({@code io.dedupconsumer.kafka.DeadLetter}): the {@code kafka_dlt-original-*} headers say
 * where the record was, {@code dedup-outcome} why it was dead-lettered. Dead letters of other topics or other groups
 * sharing the dead-letter topic are left out. One small entry per dead letter is held: a dead-letter topic is the
 * exception, not the stream.
 */
final class DeadLetters {

    /** Where a dead letter is, and why it was written. */
    record Entry(String outcome, @Nullable String dedupKey, int partition, long offset) {
        String coordinates(String deadLetterTopic) {
            return deadLetterTopic + "-" + partition + "@" + offset;
        }
    }

    /** A source record's place. */
    record Source(int partition, long offset) {
    }

    private final String topic;
    private final Map<Source, Entry> bySource = new HashMap<>();
    private long ignored;

    private DeadLetters(String topic) {
        this.topic = topic;
    }

    /**
     * Reads the whole dead-letter topic (to its end offsets when the read began); a missing topic holds none.
     *
     * @param notes where to say that the topic is missing, or that dead letters were left out
     */
    static DeadLetters readIfPresent(KafkaSettings kafka, PrintWriter progress, Duration progressInterval,
            List<String> notes) throws Exception {
        DeadLetters letters = new DeadLetters(kafka.topic());
        TopicReader reader;
        try {
            reader = new TopicReader(kafka.readerProperties(), kafka.deadLetterTopic());
        } catch (IllegalStateException e) {
            notes.add("no dead-letter topic " + kafka.deadLetterTopic() + ": no record counts as dead-lettered (give "
                    + "--dead-letter-topic if the consumer names it otherwise)");
            return letters;
        }
        try (reader) {
            reader.read(1000, chunk -> chunk.forEach(r -> letters.add(r, kafka.group())), progress, progressInterval);
        }
        if (letters.ignored > 0) {
            notes.add(letters.ignored + " dead letter(s) on " + kafka.deadLetterTopic() + " stand for another topic "
                    + "or group, or lack the kafka_dlt-original-* headers, and were left out");
        }
        return letters;
    }

    private void add(ConsumerRecord<byte[], byte[]> letter, String group) {
        String originalTopic = text(letter, DeadLetterHeaders.ORIGINAL_TOPIC);
        String originalGroup = text(letter, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP);
        Header partition = letter.headers().lastHeader(DeadLetterHeaders.ORIGINAL_PARTITION);
        Header offset = letter.headers().lastHeader(DeadLetterHeaders.ORIGINAL_OFFSET);
        if (!topic.equals(originalTopic) || (originalGroup != null && !originalGroup.equals(group))
                || partition == null || partition.value().length != Integer.BYTES
                || offset == null || offset.value().length != Long.BYTES) {
            ignored++;
            return;
        }
        String outcome = text(letter, DeadLetterHeaders.OUTCOME);
        bySource.put(new Source(ByteBuffer.wrap(partition.value()).getInt(), ByteBuffer.wrap(offset.value()).getLong()),
                new Entry(outcome != null ? outcome : "?", text(letter, DeadLetterHeaders.DEDUP_KEY),
                        letter.partition(), letter.offset()));
    }

    /** The dead letter of the record at {@code partition}/{@code offset}, or {@code null}. */
    @Nullable Entry of(int partition, long offset) {
        return bySource.get(new Source(partition, offset));
    }

    /** The dead letters whose {@code dedup-key} header is {@code key}, by the place of their record. */
    Map<Source, Entry> withKey(String key) {
        Map<Source, Entry> found = new TreeMap<>(Comparator.comparingInt(Source::partition)
                .thenComparingLong(Source::offset));
        bySource.forEach((source, entry) -> {
            if (key.equals(entry.dedupKey())) {
                found.put(source, entry);
            }
        });
        return found;
    }

    int size() {
        return bySource.size();
    }

    private static @Nullable String text(ConsumerRecord<?, ?> record, String header) {
        Header h = record.headers().lastHeader(header);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
