package io.dedupconsumer.examples.payment;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The merchant's payment callback service: the signed notify endpoint, the deduplicated consumer and the order
 * tables. {@code java -jar payment-callback-example.jar} with {@code KAFKA_BOOTSTRAP_SERVERS},
 * {@code SPRING_DATASOURCE_URL} (H2 in memory when unset) and {@code PAYMENT_NOTIFY_SECRET}; see README.md.
 */
@SpringBootApplication(proxyBeanMethods = false)
public final class PaymentCallbackApplication {

    private PaymentCallbackApplication() {
    }

    /** Runs the service until it is stopped. */
    public static void main(String[] args) {
        SpringApplication.run(PaymentCallbackApplication.class, args);
    }
}
