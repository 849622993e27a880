package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.spring.Deduplicated;
import io.dedupconsumer.testkit.KafkaBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * Replaying a topic under a new consumer group must not apply its events again: with {@code dedup.consumer-name} set,
 * deduplicated listeners keep their dedup scope whatever their group id.
 */
class ReplayUnderANewGroupTests {

    private final KafkaBroker broker = KafkaBroker.shared();
    private final String topic = broker.uniqueTopic("replay", 1);
    private final String database = "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(EndToEnd.AUTO_CONFIGURATIONS)
            .withUserConfiguration(CountingListener.class);

    @Test
    void aReplayUnderANewGroupWithTheSameDedupConsumerNameAppliesNothingAgain() {
        EndToEnd.send(broker, EndToEnd.event(topic, "e1", "{\"id\":\"e1\"}"), EndToEnd.event(topic, "e2", "{\"id\":\"e2\"}"));

        runner.withPropertyValues(properties("first-pass", "dedup.consumer-name=inventory")).run(context -> {
            await().atMost(EndToEnd.TIMEOUT).until(() -> context.getBean(CountingListener.class).calls() == 2);
        });
        runner.withPropertyValues(properties("replay-" + UUID.randomUUID(), "dedup.consumer-name=inventory"))
                .run(context -> {
                    JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                    await().atMost(EndToEnd.TIMEOUT).until(() -> jdbc.queryForObject(
                            "SELECT COUNT(*) FROM dedup_record", Integer.class) == 2
                            && broker.committedOffsets(context.getEnvironment().getProperty("test.group"), topic)
                                    .values().stream().mapToLong(Long::longValue).sum() == 2);
                    assertThat(context.getBean(CountingListener.class).calls()).isZero();
                    assertThat(jdbc.queryForList("SELECT DISTINCT consumer_name FROM dedup_record", String.class))
                            .containsExactly("inventory");
                });
    }

    @Test
    void withoutADedupConsumerNameTheGroupIdScopesTheKeys() {
        EndToEnd.send(broker, EndToEnd.event(topic, "e1", "{\"id\":\"e1\"}"));

        runner.withPropertyValues(properties("billing")).run(context -> {
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            await().atMost(EndToEnd.TIMEOUT).until(() -> context.getBean(CountingListener.class).calls() == 1);
            assertThat(jdbc.queryForList("SELECT consumer_name FROM dedup_record", String.class)).containsExactly("billing");
        });
    }

    private String[] properties(String group, String... more) {
        List<String> properties = new ArrayList<>(EndToEnd.properties(broker, topic, group));
        properties.add("spring.datasource.url=" + database);
        properties.addAll(List.of(more));
        return properties.toArray(new String[0]);
    }

    /** Counts how often its body runs in one application context. */
    public static class CountingListener {
        private final AtomicInteger calls = new AtomicInteger();

        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
        public void on(Map<String, Object> event) {
            calls.incrementAndGet();
        }

        /** Read through the method: the bean is a class-based proxy, whose own fields are empty. */
        public int calls() {
            return calls.get();
        }
    }
}
