package io.dedupconsumer.spring.boot;

import io.dedupconsumer.spring.Deduplicated;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/** A batch listener as a user writes it: a loop over the payloads; an event with {@code "boom": true} always fails. */
public class BatchEffectListener {

    private final AtomicInteger invocations = new AtomicInteger();
    private final JdbcTemplate jdbc;

    public BatchEffectListener(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}", batch = "true")
    public void on(List<Map<String, Object>> events) {
        for (Map<String, Object> event : events) {
            invocations.incrementAndGet();
            jdbc.update("INSERT INTO effect (event_id) VALUES (?)", event.get("id"));
            if (Boolean.TRUE.equals(event.get("boom"))) {
                throw new IllegalStateException("cannot apply " + event.get("id"));
            }
        }
    }

    /** How often the method body ran (read through the proxy, which has no state of its own). */
    public int invocations() {
        return invocations.get();
    }
}
