package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.DedupTemplate;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/** A plain listener that calls the {@link DedupTemplate} bean explicitly instead of being annotated. */
public class TemplateListener {

    private final DedupTemplate dedup;
    private final JdbcTemplate jdbc;

    public TemplateListener(DedupTemplate dedup, JdbcTemplate jdbc) {
        this.dedup = dedup;
        this.jdbc = jdbc;
    }

    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
    public void on(ConsumerRecord<String, Map<String, Object>> record) {
        dedup.process(record, (r, connection) -> {
            jdbc.update("INSERT INTO effect (event_id) VALUES (?)", r.value().get("id"));
            return HandlerResult.processed();
        });
    }
}
