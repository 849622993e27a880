package io.dedupconsumer.examples.inventory.demo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends a workload keyed by SKU, in order: the model relies on each partition holding its records in send order (a
 * copy after its original). Each SKU goes to one partition that the demo picks ({@link #partitions}), not to the
 * partition the key hashes to: the SKUs carry the run id, so hashing would give every run another layout, and with
 * few SKUs of skewed popularity some runs put nearly all records on the partitions of one listener thread (seen: 2,272
 * of 2,524 records), which made the rate a run measured depend on its run id. Idempotence alone keeps that order across retries; one request in flight per connection
 * also keeps a retried first batch from meeting later batches the broker already appended, which the broker refuses
 * as out of sequence (seen when the first send races a partition still being created).
 */
final class WorkloadProducer {

    private static final long SEND_TIMEOUT_SECONDS = 60;

    private WorkloadProducer() {
    }

    /**
     * Sends every record and waits until the broker acknowledged all of them.
     *
     * @throws IllegalStateException when a record could not be sent
     */
    static void send(String bootstrapServers, String topic, Workload workload) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, topic + "-producer");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                new StringSerializer())) {
            Map<String, Integer> partitionOf = partitions(workload, producer.partitionsFor(topic).size());
            List<Future<RecordMetadata>> sends = new ArrayList<>(workload.records().size());
            for (Workload.Sent sent : workload.records()) {
                sends.add(producer.send(new ProducerRecord<>(topic, partitionOf.get(sent.key()), sent.key(), sent.value())));
            }
            producer.flush();
            for (Future<RecordMetadata> send : sends) {
                send.get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not produce the workload to " + topic + ": " + e, e);
        }
    }

    /**
     * The partition of each key (SKU): the keys with the most records first, each onto the partition with the fewest
     * records so far, so that the partitions, and the listener threads they are assigned to, get shares as even as
     * the popularity of the SKUs allows, the same in every run of a seed.
     */
    static Map<String, Integer> partitions(Workload workload, int partitions) {
        Map<String, Integer> records = new HashMap<>();
        for (Workload.Sent sent : workload.records()) {
            records.merge(sent.key(), 1, Integer::sum);
        }
        List<String> heaviestFirst = new ArrayList<>(records.keySet());
        heaviestFirst.sort(Comparator.comparing((String key) -> records.get(key)).reversed()
                .thenComparing(Comparator.naturalOrder()));
        long[] load = new long[partitions];
        Map<String, Integer> partitionOf = new HashMap<>();
        for (String key : heaviestFirst) {
            int lightest = 0;
            for (int p = 1; p < partitions; p++) {
                if (load[p] < load[lightest]) {
                    lightest = p;
                }
            }
            partitionOf.put(key, lightest);
            load[lightest] += records.get(key);
        }
        return partitionOf;
    }
}
