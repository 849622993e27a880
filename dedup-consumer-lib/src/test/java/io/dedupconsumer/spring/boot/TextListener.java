package io.dedupconsumer.spring.boot;

import io.dedupconsumer.spring.Deduplicated;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A listener that receives its value as text, as many users write it: one insert per event, and a value containing
 * {@code fail} fails every attempt (so it ends on the dead-letter topic).
 */
public class TextListener {

    private final JdbcTemplate jdbc;

    public TextListener(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}",
            properties = "value.deserializer=org.apache.kafka.common.serialization.StringDeserializer")
    public void on(String value) {
        jdbc.update("INSERT INTO effect (event_id) VALUES (?)", value.length() > 64 ? value.substring(0, 64) : value);
        if (value.contains("fail")) {
            throw new IllegalStateException("always failing after the write");
        }
    }
}
