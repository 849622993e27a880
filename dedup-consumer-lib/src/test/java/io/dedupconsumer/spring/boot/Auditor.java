package io.dedupconsumer.spring.boot;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** A service that writes in a transaction of its own (REQUIRES_NEW): what breaks the exactly-once guarantee. */
public class Auditor {

    private final JdbcTemplate jdbc;

    public Auditor(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public void write(String eventId) {
        jdbc.update("INSERT INTO audit (event_id) VALUES (?)", eventId);
    }
}
