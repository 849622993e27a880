package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.HandlerResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What the batch listeners of {@link DeduplicatedBatchListenerTests} do with the events they are given, as the issue's
 * user writes it: one {@code jdbcTemplate.batchUpdate} for all of them, then a result per event. Switches in the
 * payload: {@code "reject": true} is refused (REJECTED), {@code "boom": true} fails the call after the batch insert,
 * {@code "miscount": true} makes the call return one result too many.
 */
public abstract class LedgerBatch {

    private final List<List<String>> calls = new CopyOnWriteArrayList<>();
    private final JdbcTemplate jdbc;

    protected LedgerBatch(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    protected List<HandlerResult> apply(List<Map<String, Object>> events) {
        List<String> ids = events.stream().map(event -> String.valueOf(event.get("id"))).toList();
        calls.add(ids);
        jdbc.batchUpdate("INSERT INTO effect (event_id) VALUES (?)", ids, ids.size(), (insert, id) -> insert.setString(1, id));
        List<HandlerResult> results = new ArrayList<>();
        for (Map<String, Object> event : events) {
            if (Boolean.TRUE.equals(event.get("boom"))) {
                throw new IllegalStateException("cannot apply " + event.get("id"));
            }
            results.add(Boolean.TRUE.equals(event.get("reject")) ? HandlerResult.rejected("out of stock")
                    : HandlerResult.processed());
        }
        if (events.stream().anyMatch(event -> Boolean.TRUE.equals(event.get("miscount")))) {
            results.add(HandlerResult.processed());
        }
        return results;
    }

    /** The event ids of each call of the method, in call order (read through the proxy, which has no state). */
    public List<List<String>> calls() {
        return List.copyOf(calls);
    }
}
