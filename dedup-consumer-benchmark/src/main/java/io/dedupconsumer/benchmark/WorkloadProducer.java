package io.dedupconsumer.benchmark;

import io.dedupconsumer.testkit.KafkaBroker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills a fresh topic with events, a given share of which are re-sends of earlier events (same id, same payload):
 * half of them re-send one of the last {@value #RECENT} events (a double click: often in the same poll), the other
 * half any earlier event (a producer retry or replay much later). Seeded, so every run gets the same sequence.
 */
final class WorkloadProducer {

    /** Accounts the events move money between; account {@code a} lives in partition {@code a % partitions}. */
    static final int ACCOUNTS = 1_000;

    private static final Logger log = LoggerFactory.getLogger(WorkloadProducer.class);
    private static final int RECENT = 50;
    private static final long SEED = 20_240_601L;

    private final KafkaBroker broker;

    WorkloadProducer(KafkaBroker broker) {
        this.broker = broker;
    }

    Workload produce(int partitions, int duplicatePercent, int records) {
        String topic = broker.uniqueTopic("bench-p" + partitions + "-d" + duplicatePercent, partitions);
        long started = System.nanoTime();
        SplittableRandom random = new SplittableRandom(SEED + 31L * partitions + duplicatePercent);
        long duplicates = Math.round(records * duplicatePercent / 100.0);
        long fresh = records - duplicates;
        List<Event> sent = new ArrayList<>((int) fresh);
        long[][] amounts = new long[partitions][records];
        int[] sizes = new int[partitions];
        BitSet[] firsts = new BitSet[partitions];
        for (int p = 0; p < partitions; p++) {
            firsts[p] = new BitSet();
        }
        AtomicReference<Exception> failure = new AtomicReference<>();
        Map<String, Object> props = broker.producerProps();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < records; i++) {
                long freshLeft = fresh - sent.size();
                long duplicatesLeft = records - i - freshLeft;
                boolean duplicate = !sent.isEmpty() && random.nextLong(freshLeft + duplicatesLeft) < duplicatesLeft;
                Event event;
                if (duplicate) {
                    int from = random.nextBoolean() ? Math.max(0, sent.size() - RECENT) : 0;
                    event = sent.get(from + random.nextInt(sent.size() - from));
                } else {
                    event = new Event("evt-" + sent.size(), random.nextInt(ACCOUNTS), 1 + random.nextInt(100));
                    sent.add(event);
                }
                int partition = (int) (event.account() % partitions);
                amounts[partition][sizes[partition]] = event.amount();
                if (!duplicate) {
                    firsts[partition].set(sizes[partition]);
                }
                sizes[partition]++;
                producer.send(event.toRecord(topic, partition), (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("producing the workload to " + topic + " failed", failure.get());
        }
        List<Workload.PartitionLog> logs = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            logs.add(new Workload.PartitionLog(Arrays.copyOf(amounts[p], sizes[p]), firsts[p]));
        }
        log.info("Produced {} records ({}% duplicates) to {} with {} partition(s) in {} ms", records, duplicatePercent,
                topic, partitions, (System.nanoTime() - started) / 1_000_000);
        return new Workload(topic, duplicatePercent, logs);
    }
}
