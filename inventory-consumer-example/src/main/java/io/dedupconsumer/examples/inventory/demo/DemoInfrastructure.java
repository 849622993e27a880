package io.dedupconsumer.examples.inventory.demo;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The Kafka broker and database the demo runs on: the ones configured, or else an in-process KRaft broker and an H2
 * database in memory, so that the demo needs nothing installed. Closing it stops what it started.
 */
final class DemoInfrastructure implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoInfrastructure.class);

    private final EmbeddedKafkaKraftBroker broker;
    private final String bootstrapServers;
    private final String datasourceUrl;
    private final boolean embeddedDatabase;

    private DemoInfrastructure(EmbeddedKafkaKraftBroker broker, String bootstrapServers, String datasourceUrl,
            boolean embeddedDatabase) {
        this.broker = broker;
        this.bootstrapServers = bootstrapServers;
        this.datasourceUrl = datasourceUrl;
        this.embeddedDatabase = embeddedDatabase;
    }

    /**
     * Uses the Kafka named by {@code --spring.kafka.bootstrap-servers}, {@code KAFKA_BOOTSTRAP_SERVERS} or
     * {@code SPRING_KAFKA_BOOTSTRAP_SERVERS}, else starts one in-process; the database named by
     * {@code --spring.datasource.url} or {@code SPRING_DATASOURCE_URL}, else H2 in memory.
     */
    static DemoInfrastructure start(DemoOptions options, String runId) {
        String url = firstText(options.springArg("spring.datasource.url"), System.getenv("SPRING_DATASOURCE_URL"));
        boolean embeddedDatabase = url == null;
        if (embeddedDatabase) {
            url = "jdbc:h2:mem:inventory-" + runId + ";DB_CLOSE_DELAY=-1";
        }
        String servers = firstText(options.springArg("spring.kafka.bootstrap-servers"),
                System.getenv("KAFKA_BOOTSTRAP_SERVERS"), System.getenv("SPRING_KAFKA_BOOTSTRAP_SERVERS"));
        if (servers != null) {
            return new DemoInfrastructure(null, servers, url, embeddedDatabase);
        }
        long started = System.nanoTime();
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, options.partitions());
        // not spring.kafka.bootstrap-servers (the default): it would leak into the application as a system property
        broker.brokerListProperty("inventory.demo.kafka.brokers");
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
        String embedded = broker.getBrokersAsString().replace("localhost:", "127.0.0.1:");
        log.debug("in-process Kafka broker at {} started in {} ms", embedded,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return new DemoInfrastructure(broker, embedded, url, embeddedDatabase);
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    boolean embeddedKafka() {
        return broker != null;
    }

    /** The JDBC URL of the database, for the application and for the report. */
    String datasourceUrl() {
        return datasourceUrl;
    }

    boolean embeddedDatabase() {
        return embeddedDatabase;
    }

    String describeKafka() {
        return embeddedKafka() ? "in-process KRaft broker at " + bootstrapServers
                + " (set KAFKA_BOOTSTRAP_SERVERS to use yours)" : bootstrapServers;
    }

    String describeDatabase() {
        return embeddedDatabase ? "H2 in memory (set --spring.datasource.url to use MySQL/MariaDB or PostgreSQL)"
                : datasourceUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    @Override
    public void close() {
        if (broker != null) {
            try {
                broker.destroy();
            } catch (RuntimeException e) {
                log.warn("could not stop the in-process Kafka broker cleanly: {}", e.toString());
            }
        }
    }

    private static String firstText(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }
}
