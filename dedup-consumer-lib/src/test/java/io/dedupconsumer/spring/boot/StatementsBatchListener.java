package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.BatchedStatements;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A deduplicated batch listener that hands its records to the library's fast path, as docs/spring.md shows: a
 * per-record {@code StatementHandler} whose statements {@link BatchedStatements} sends as JDBC batches on the claim's
 * connection ({@code DataSourceUtils.getConnection} returns the transaction's). The same switches as
 * {@link LedgerBatch}: {@code "reject"} refuses, {@code "boom"} fails.
 */
public class StatementsBatchListener {

    private final List<List<String>> calls = new CopyOnWriteArrayList<>();
    private final DataSource dataSource;
    private final BatchedStatements<String, Map<String, Object>> insertEffect = BatchedStatements.of((record, statements) -> {
        Map<String, Object> event = record.value();
        if (Boolean.TRUE.equals(event.get("boom"))) {
            throw new IllegalStateException("cannot apply " + event.get("id"));
        }
        statements.update("INSERT INTO effect (event_id) VALUES (?)", String.valueOf(event.get("id")));
        if (Boolean.TRUE.equals(event.get("reject"))) {
            statements.reject("out of stock");
        }
    });

    public StatementsBatchListener(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}", batch = "true")
    public List<HandlerResult> on(List<ConsumerRecord<String, Map<String, Object>>> records) throws Exception {
        calls.add(records.stream().map(r -> String.valueOf(r.value().get("id"))).toList());
        return insertEffect.handle(records, DataSourceUtils.getConnection(dataSource));
    }

    /** The event ids of each call of the method, in call order. */
    public List<List<String>> calls() {
        return List.copyOf(calls);
    }
}
