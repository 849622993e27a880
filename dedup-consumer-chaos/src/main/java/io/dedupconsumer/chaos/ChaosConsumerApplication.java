package io.dedupconsumer.chaos;

import io.dedupconsumer.examples.inventory.InventoryApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * The inventory service exactly as deployed ({@link InventoryApplication}, its listener, its SQL, the library's
 * auto-configuration), plus {@link FaultInjection}: what the chaos suite starts in each child JVM. Without any
 * {@code chaos.*} argument it is the plain service.
 */
public final class ChaosConsumerApplication {

    private ChaosConsumerApplication() {
    }

    /** Runs the service with the fault points {@code --chaos.*} arguments arm. */
    public static void main(String[] args) {
        new SpringApplicationBuilder(InventoryApplication.class, FaultInjection.class)
                .web(WebApplicationType.NONE)
                .logStartupInfo(false)
                .run(args);
    }
}
