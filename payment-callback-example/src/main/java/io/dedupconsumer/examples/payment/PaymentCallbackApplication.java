package io.dedupconsumer.examples.payment;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The merchant's payment callback service: the signed notify endpoint, the deduplicated consumer and the order
 * tables. {@code java -jar payment-callback-example.jar} with {@code KAFKA_BOOTSTRAP_SERVERS},
 * {@code SPRING_DATASOURCE_URL} (H2 in memory when unset) and {@code PAYMENT_NOTIFY_SECRET}; see README.md.
 *
 * <p>Spring Boot's error page ({@code /error}, HTML for a browser's {@code Accept}) is switched off: every answer of
 * this service is one of the JSON answers the README lists, and {@link ErrorAnswers} gives the ones for failures. The
 * auto-configuration is named for Boot 4 and for Boot 3.5 (a name that is not on the class path is ignored).
 */
@SpringBootApplication(proxyBeanMethods = false, excludeName = {
        "org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration",
        "org.springframework.boot.autoconfigure.web.servlet.error.ErrorMvcAutoConfiguration"})
public final class PaymentCallbackApplication {

    private PaymentCallbackApplication() {
    }

    /** Runs the service until it is stopped. */
    public static void main(String[] args) {
        SpringApplication.run(PaymentCallbackApplication.class, args);
    }
}
