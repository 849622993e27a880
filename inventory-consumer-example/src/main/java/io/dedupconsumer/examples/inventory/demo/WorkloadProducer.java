package io.dedupconsumer.examples.inventory.demo;

import java.util.ArrayList;
import java.util.List;
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
 * copy after its original). Idempotence alone keeps that order across retries; one request in flight per connection
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
            List<Future<RecordMetadata>> sends = new ArrayList<>(workload.records().size());
            for (Workload.Sent sent : workload.records()) {
                sends.add(producer.send(new ProducerRecord<>(topic, sent.key(), sent.value())));
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
}
