package io.dedupconsumer.spring.boot;

import static io.dedupconsumer.spring.boot.EndToEnd.TIMEOUT;
import static io.dedupconsumer.spring.boot.EndToEnd.committed;
import static io.dedupconsumer.spring.boot.EndToEnd.event;
import static io.dedupconsumer.spring.boot.EndToEnd.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.testkit.ChildJvm;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The crash the protocol exists for: the consumer process dies (SIGKILL) after the database commit and before the
 * offset commit. The record is redelivered and must not be applied a second time.
 */
class CrashRecoveryTests {

    private final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void aConsumerKilledBetweenTheDatabaseCommitAndTheOffsetCommitDoesNotApplyTheRedeliveredRecordAgain() throws Exception {
        String topic = broker.uniqueTopic("dedup-crash", 1);
        String group = "group-" + topic;
        TestDatabase mariadb = TestDatabase.mariadb();
        String schema = mariadb.createDatabase("spring_crash");
        List<String> properties = new ArrayList<>(EndToEnd.properties(broker, topic, group));
        // Static membership: the restarted consumer takes over the killed one's partitions at once, instead of
        // waiting for its session to time out.
        properties.add("spring.kafka.consumer.properties.group.instance.id=" + group);
        try (HikariDataSource database = mariadb.dataSource(schema)) {
            JdbcTemplate jdbc = new JdbcTemplate(database);
            jdbc.execute("CREATE TABLE effect (event_id VARCHAR(64) NOT NULL)");
            send(broker, event(topic, "e1", "{\"id\":\"e1\"}"));

            Map<String, String> childProperties = new HashMap<>();
            for (String property : properties) {
                int equals = property.indexOf('=');
                childProperties.put(property.substring(0, equals), property.substring(equals + 1));
            }
            childProperties.put("spring.datasource.url", mariadb.jdbcUrl(schema));
            childProperties.put("spring.datasource.username", mariadb.user());
            childProperties.put("spring.datasource.password", mariadb.password());
            childProperties.put("spring.flyway.enabled", "false"); // the application has no migrations of its own
            try (ChildJvm consumer = ChildJvm.start(CrashingListenerApplication.class, childProperties)) {
                await().atMost(TIMEOUT).until(() -> consumer.output().contains(CrashingListenerApplication.COMMITTED + "e1")
                        || !consumer.isAlive());
                assertThat(consumer.output()).contains(CrashingListenerApplication.COMMITTED + "e1");
                consumer.kill();
            }
            assertThat(jdbc.queryForList("SELECT event_id FROM effect", String.class)).containsExactly("e1");
            assertThat(committed(broker, group, topic).call()).as("offset committed before the crash").isEqualTo(-1L);

            send(broker, event(topic, "e2", "{\"id\":\"e2\"}"));
            new ApplicationContextRunner()
                    .withConfiguration(EndToEnd.AUTO_CONFIGURATIONS)
                    .withBean("dataSource", DataSource.class, () -> mariadb.dataSource(schema))
                    .withPropertyValues(properties.toArray(String[]::new))
                    .withBean(Auditor.class)
                    .withBean(EffectListener.class)
                    .run(context -> {
                        await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 2);
                        assertThat(jdbc.queryForList("SELECT event_id FROM effect", String.class))
                                .containsExactlyInAnyOrder("e1", "e2");
                        assertThat(context.getBean(EffectListener.class).invocations())
                                .as("the redelivered e1 never reached the listener").isEqualTo(1);
                    });
        }
    }
}
