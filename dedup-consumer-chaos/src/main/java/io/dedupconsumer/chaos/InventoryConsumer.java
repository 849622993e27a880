package io.dedupconsumer.chaos;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.InventoryApplication;
import io.dedupconsumer.examples.inventory.oracle.DedupMeters;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The inventory service running in this JVM, as the replay/verify command consumes with it: the real application
 * (its listener, its SQL, the library's dedup transaction), configured by {@code --name=value} arguments. Closing it
 * stops the listener containers gracefully.
 */
final class InventoryConsumer implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private InventoryConsumer(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /**
     * Starts the service consuming {@code topic} as consumer group {@code group}, deduplicating as {@code consumerName}.
     *
     * @param extra further {@code --name=value} arguments (Kafka, database, logging)
     */
    static InventoryConsumer start(String topic, String group, String consumerName, int partitions, int concurrency,
            List<String> extra) {
        List<String> args = new ArrayList<>(extra);
        args.add("--inventory.topic=" + topic);
        args.add("--inventory.partitions=" + partitions);
        args.add("--inventory.concurrency=" + concurrency);
        args.add("--spring.kafka.consumer.group-id=" + group);
        args.add("--spring.kafka.client-id=" + group);
        args.add("--dedup.consumer-name=" + consumerName);
        args.add("--spring.flyway.enabled=true");
        ConfigurableApplicationContext context = new SpringApplicationBuilder(InventoryApplication.class)
                .web(WebApplicationType.NONE)
                .logStartupInfo(false)
                .registerShutdownHook(false)
                .run(args.toArray(String[]::new));
        return new InventoryConsumer(context);
    }

    /** How many records this instance finished with each outcome, from the library's {@code dedup.records} meters. */
    Map<Outcome, Long> outcomes(String consumerName) {
        return DedupMeters.outcomes(context.getBean(MeterRegistry.class), consumerName);
    }

    @Override
    public void close() {
        context.close();
    }
}
