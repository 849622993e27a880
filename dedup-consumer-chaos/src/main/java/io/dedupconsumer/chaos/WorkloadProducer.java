package io.dedupconsumer.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a {@link StockWorkload} to the stock events topic: idempotent and {@code acks=all}, so a retried send neither
 * duplicates nor reorders records within a partition and rides out a broker restart. A send that still fails is
 * counted and skipped; the verifier models what the topic holds, not what was meant to be sent.
 */
final class WorkloadProducer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkloadProducer.class);
    private static final long ACK_TIMEOUT_SECONDS = 180;

    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    WorkloadProducer(String bootstrapServers, String topic, String clientId) {
        this.topic = topic;
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /** Sends the next {@code count} records of {@code workload} as fast as the broker takes them and waits for the acks. */
    void sendAll(StockWorkload workload, long count) {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            sends.add(send(workload.next()));
        }
        producer.flush();
        try {
            for (Future<RecordMetadata> send : sends) {
                send.get(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing to " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not produce the workload to " + topic + ": " + e, e);
        }
    }

    /**
     * Sends {@code perSecond} records a second for {@code duration}, or until {@code keepGoing} turns false, then
     * flushes. A record whose send fails is counted in {@link #failed()} and not retried.
     */
    void sendAtRate(StockWorkload workload, double perSecond, Duration duration, BooleanSupplier keepGoing) {
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        double interval = 1e9 / perSecond;
        for (long i = 0; keepGoing.getAsBoolean(); i++) {
            long due = start + (long) (i * interval);
            if (due >= end) {
                break;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            send(workload.next());
        }
        producer.flush();
    }

    private Future<RecordMetadata> send(StockWorkload.Message message) {
        sent.incrementAndGet();
        return producer.send(new ProducerRecord<>(topic, message.key(), message.value()), (metadata, exception) -> {
            if (exception == null) {
                acknowledged.incrementAndGet();
            } else {
                failed.incrementAndGet();
                log.warn("a {} record for {} was not sent: {}", message.kind(), message.key(), exception.toString());
            }
        });
    }

    long sent() {
        return sent.get();
    }

    long acknowledged() {
        return acknowledged.get();
    }

    long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
