package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.InventoryApplication;
import io.dedupconsumer.examples.inventory.oracle.DedupMeters;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * One running instance of the inventory service: a Spring application context, as a deployment would run it, here
 * several in one JVM. Closing it stops its listener containers gracefully (the records in hand are finished and their
 * offsets committed); its meters stay readable afterwards, so they include those records.
 */
final class InventoryInstance implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final MeterRegistry meters;

    private InventoryInstance(ConfigurableApplicationContext context) {
        this.context = context;
        this.meters = context.getBean(MeterRegistry.class);
    }

    /** Starts an instance with these command-line arguments ({@code --name=value}); returns once it is running. */
    static InventoryInstance start(List<String> args) {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(InventoryApplication.class)
                .web(WebApplicationType.NONE)
                .logStartupInfo(false)
                .registerShutdownHook(false)
                .run(args.toArray(String[]::new));
        return new InventoryInstance(context);
    }

    /** The instance's {@code JdbcTemplate}, on the service's DataSource. */
    JdbcTemplate jdbc() {
        return context.getBean(JdbcTemplate.class);
    }

    /**
     * How many records this instance's listener finished with each outcome, from the {@code dedup.records} meters;
     * also after {@link #close()}.
     */
    Map<Outcome, Long> outcomes(String consumerName) {
        return DedupMeters.outcomes(meters, consumerName);
    }

    @Override
    public void close() {
        context.close();
    }
}
