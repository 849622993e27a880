package io.dedupconsumer.audit;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a topic from its first record to the end offsets it had when the read began (records written later are left
 * for the next audit), a chunk at a time: the caller sees at most {@code chunkSize} records at once, so that reading
 * a topic of any size takes the memory of one chunk. It never joins a group and never commits.
 */
final class TopicReader implements AutoCloseable {

    /** Handles one chunk of records, all of them below the snapshot's end offsets. */
    @FunctionalInterface
    interface ChunkHandler {
        void handle(List<ConsumerRecord<byte[], byte[]>> chunk) throws Exception;
    }

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration METADATA = Duration.ofSeconds(30);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final List<TopicPartition> partitions;
    private final Map<TopicPartition, Long> beginning;
    private final Map<TopicPartition, Long> end;

    /** @throws IllegalStateException when the topic does not exist */
    TopicReader(Map<String, Object> properties, String topic) {
        this.topic = topic;
        this.consumer = new KafkaConsumer<>(properties);
        try {
            List<PartitionInfo> infos = consumer.listTopics(METADATA).get(topic);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("the topic " + topic + " does not exist (or this login may not "
                        + "describe it)");
            }
            this.partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition()))
                    .sorted((a, b) -> Integer.compare(a.partition(), b.partition())).collect(Collectors.toList());
            // assigned before the offsets are asked, so that the client keeps what it learns (and says nothing)
            consumer.assign(partitions);
            this.beginning = consumer.beginningOffsets(partitions, METADATA);
            this.end = consumer.endOffsets(partitions, METADATA);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    String topic() {
        return topic;
    }

    List<TopicPartition> partitions() {
        return partitions;
    }

    /** The first offset each partition still holds, when the read began. */
    Map<TopicPartition, Long> beginning() {
        return beginning;
    }

    /** The end offset of each partition when the read began: the records this read covers end there. */
    Map<TopicPartition, Long> end() {
        return end;
    }

    long total() {
        long total = 0;
        for (TopicPartition p : partitions) {
            total += end.get(p) - beginning.get(p);
        }
        return total;
    }

    /**
     * Reads every record of the snapshot in chunks of at most {@code chunkSize}.
     *
     * @param progress where progress lines go (records read, records/s, time left), or {@code null} for none
     * @param progressInterval how often a progress line is written
     * @return how many records were read
     */
    long read(int chunkSize, ChunkHandler handler, PrintWriter progress, Duration progressInterval) throws Exception {
        Map<TopicPartition, Long> remaining = new HashMap<>();
        for (TopicPartition p : partitions) {
            if (end.get(p) > beginning.get(p)) {
                remaining.put(p, end.get(p));
            }
        }
        consumer.assign(remaining.keySet());
        consumer.seekToBeginning(remaining.keySet());
        long total = total();
        long read = 0;
        long started = System.nanoTime();
        long nextProgress = started + progressInterval.toNanos();
        List<ConsumerRecord<byte[], byte[]>> chunk = new ArrayList<>(chunkSize);
        while (!remaining.isEmpty()) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                TopicPartition p = new TopicPartition(record.topic(), record.partition());
                Long stop = remaining.get(p);
                if (stop == null || record.offset() >= stop) {
                    continue;
                }
                chunk.add(record);
                if (chunk.size() == chunkSize) {
                    handler.handle(chunk);
                    read += chunk.size();
                    chunk = new ArrayList<>(chunkSize);
                }
            }
            for (TopicPartition p : List.copyOf(remaining.keySet())) {
                // a position at or past the snapshot's end: the partition is done (a compacted or transactional
                // partition may end on an offset no record has)
                if (consumer.position(p) >= remaining.get(p)) {
                    remaining.remove(p);
                    consumer.pause(List.of(p));
                }
            }
            long now = System.nanoTime();
            if (now >= nextProgress) {
                progress(progress, topic, read + chunk.size(), total, started, now);
                nextProgress = now + progressInterval.toNanos();
            }
        }
        if (!chunk.isEmpty()) {
            handler.handle(chunk);
            read += chunk.size();
        }
        return read;
    }

    private static void progress(PrintWriter out, String topic, long read, long total, long started, long now) {
        double seconds = Math.max(1e-3, (now - started) / 1e9);
        double rate = read / seconds;
        String left = rate > 0 && total > read ? ", about " + Duration.ofSeconds((long) ((total - read) / rate))
                .toString().substring(2).toLowerCase(Locale.ROOT) + " left" : "";
        out.printf("dedup-audit: %s: %,d of about %,d records read (%,.0f records/s%s)%n", topic, read, total, rate, left);
        out.flush();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
