package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.spring.Deduplicated;
import java.util.List;
import java.util.Map;
import org.springframework.kafka.annotation.KafkaListener;

/** A batch listener written for the record-by-record calls: one HandlerResult for a list it is given. */
public class SingleResultBatchListener {

    @Deduplicated(header = "event-id")
    @KafkaListener(topics = "${test.topic}", groupId = "${test.group}", batch = "true")
    public HandlerResult on(List<Map<String, Object>> events) {
        return HandlerResult.processed();
    }
}
