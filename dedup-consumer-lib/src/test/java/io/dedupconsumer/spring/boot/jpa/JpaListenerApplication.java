package io.dedupconsumer.spring.boot.jpa;

import io.dedupconsumer.spring.Deduplicated;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A Spring Boot application whose deduplicated listener writes through Spring Data JPA, under Boot's
 * {@code JpaTransactionManager}: the write must commit in the claim's transaction, and roll back with it.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@Import(JpaListenerApplication.LedgerListener.class)
public class JpaListenerApplication {

    /** Saves (and flushes) the event's row, then fails once if asked to: the flushed row must roll back. */
    public static class LedgerListener {
        private final LedgerRepository ledger;
        private final Set<Object> failedOnce = ConcurrentHashMap.newKeySet();

        public LedgerListener(LedgerRepository ledger) {
            this.ledger = ledger;
        }

        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
        public void on(Map<String, Object> event) {
            String id = String.valueOf(event.get("id"));
            ledger.saveAndFlush(new LedgerEntry(id, ((Number) event.get("amount")).intValue()));
            if (Boolean.TRUE.equals(event.get("failAfterSave")) && failedOnce.add(id)) {
                throw new IllegalStateException("failing after the flushed save of " + id);
            }
        }
    }
}
