package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A record listener as a user writes it: one JdbcTemplate insert per event, a business refusal reported as
 * REJECTED, and switches in the payload to make it fail or call a REQUIRES_NEW service.
 */
public class EffectListener {

    private final AtomicInteger invocations = new AtomicInteger();
    private final Set<Object> failedOnce = ConcurrentHashMap.newKeySet();
    private final JdbcTemplate jdbc;
    private final Auditor auditor;

    public EffectListener(JdbcTemplate jdbc, Auditor auditor) {
        this.jdbc = jdbc;
        this.auditor = auditor;
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
    public HandlerResult on(Map<String, Object> event) {
        invocations.incrementAndGet();
        Object id = event.get("id");
        jdbc.update("INSERT INTO effect (event_id) VALUES (?)", id);
        if (Boolean.TRUE.equals(event.get("audit"))) {
            auditor.write(String.valueOf(id));
        }
        if (Boolean.TRUE.equals(event.get("fail"))) {
            throw new IllegalStateException("always failing after the write of " + id);
        }
        if (Boolean.TRUE.equals(event.get("failOnce")) && failedOnce.add(id)) {
            throw new IllegalStateException("failing once after the write of " + id);
        }
        if (Boolean.TRUE.equals(event.get("reject"))) {
            return HandlerResult.rejected("out of stock");
        }
        return HandlerResult.processed();
    }

    /** How often the method body ran (read through the proxy, which has no state of its own). */
    public int invocations() {
        return invocations.get();
    }
}
