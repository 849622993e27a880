package io.dedupconsumer.chaos;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * An in-process KRaft broker for a self-contained run of the replay/verify command, stopped by {@link #close()} before
 * the command exits (a broker left to a shutdown hook races the deletion of its own log directory and prints stack
 * traces under the report).
 */
final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final EmbeddedKafkaKraftBroker broker;
    private final String bootstrapServers;

    private EmbeddedKafka(EmbeddedKafkaKraftBroker broker, String bootstrapServers) {
        this.broker = broker;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a one-node broker on a free port of 127.0.0.1. */
    static EmbeddedKafka start() {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
        // not spring.kafka.bootstrap-servers (the default): it would leak into every application of this JVM
        broker.brokerListProperty("chaos.embedded.kafka.brokers");
        broker.brokerProperties(Map.of(
                "listeners", "EXTERNAL://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
                "auto.create.topics.enable", "false",
                "offsets.topic.replication.factor", "1",
                "offsets.topic.num.partitions", "4",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "group.initial.rebalance.delay.ms", "0"));
        broker.afterPropertiesSet();
        // the KRaft test kit reports "localhost:<port>"; the listener is bound to 127.0.0.1 only
        return new EmbeddedKafka(broker, broker.getBrokersAsString().replace("localhost:", "127.0.0.1:"));
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        try {
            broker.destroy();
        } catch (RuntimeException e) {
            log.warn("could not stop the in-process Kafka broker cleanly: {}", e.toString());
        }
    }
}
