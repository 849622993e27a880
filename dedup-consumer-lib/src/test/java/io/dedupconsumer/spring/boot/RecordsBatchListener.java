package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/** A deduplicated batch listener taking the records, {@code List<ConsumerRecord<K, V>>}, and returning a result per record. */
public class RecordsBatchListener extends LedgerBatch {

    public RecordsBatchListener(JdbcTemplate jdbc) {
        super(jdbc);
    }

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}", batch = "true")
    public List<HandlerResult> on(List<ConsumerRecord<String, Map<String, Object>>> records) {
        return apply(records.stream().map(ConsumerRecord::value).toList());
    }
}
