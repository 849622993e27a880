package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/** A deduplicated batch listener taking the payloads, {@code List<V>}, and returning a result per record. */
public class PayloadBatchListener extends LedgerBatch {

    public PayloadBatchListener(JdbcTemplate jdbc) {
        super(jdbc);
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}", batch = "true")
    public List<HandlerResult> on(List<Map<String, Object>> events) {
        return apply(events);
    }
}
