package io.dedupconsumer.spring.boot;

import static io.dedupconsumer.spring.boot.EndToEnd.TIMEOUT;
import static io.dedupconsumer.spring.boot.EndToEnd.committed;
import static io.dedupconsumer.spring.boot.EndToEnd.event;
import static io.dedupconsumer.spring.boot.EndToEnd.header;
import static io.dedupconsumer.spring.boot.EndToEnd.send;
import static io.dedupconsumer.spring.boot.EndToEnd.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.spring.DedupErrorHandling;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TcpProxy;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.time.Duration;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;
import com.zaxxer.hikari.HikariDataSource;

/**
 * {@code @Deduplicated} listeners against the real broker and a real MariaDB: each effect once, poison records
 * dead-lettered, batches isolating their failing record, the listener's JdbcTemplate inside the transaction.
 */
class DeduplicatedListenerTests {

    private final KafkaBroker broker = KafkaBroker.shared();
    private final String topic = broker.uniqueTopic("dedup-spring", 1);
    private final String group = "group-" + topic;
    private HikariDataSource database;
    private JdbcTemplate jdbc;

    @BeforeEach
    void freshDatabase() {
        database = EndToEnd.listenerDatabase("spring_listener");
        jdbc = new JdbcTemplate(database);
    }

    @AfterEach
    void closeDatabase() {
        database.close();
    }

    private ApplicationContextRunner application(Class<?> listener) {
        return application(listener, () -> TestDatabase.mariadb().dataSource(schema()));
    }

    private ApplicationContextRunner application(Class<?> listener, Supplier<DataSource> dataSource) {
        return EndToEnd.application(broker, topic, group, listener, dataSource);
    }

    private String schema() {
        return jdbc.queryForObject("SELECT DATABASE()", String.class);
    }

    @ParameterizedTest(name = "group protocol {0}")
    @MethodSource("io.dedupconsumer.testkit.KafkaBroker#groupProtocols")
    void duplicatesAndReSentEventsAreSkippedSoEachEffectHappensOnce(String groupProtocol) {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e2", "{\"id\":\"e2\"}"),
                event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e3", "{\"id\":\"e3\",\"reject\":true}"),
                event(topic, "e2", "{\"id\":\"e2\"}"), event(topic, "e3", "{\"id\":\"e3\",\"reject\":true}"));
        application(EffectListener.class)
                .withPropertyValues("spring.kafka.consumer.properties.group.protocol=" + groupProtocol)
                .run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 6);
            assertThat(effects()).containsExactlyInAnyOrder("e1", "e2", "e3");
            assertThat(context.getBean(EffectListener.class).invocations()).isEqualTo(3);
            assertThat(jdbc.queryForList("SELECT outcome FROM dedup_record WHERE consumer_name = ? ORDER BY dedup_key",
                    String.class, group)).containsExactly("PROCESSED", "PROCESSED", "REJECTED");
        });
    }

    @Test
    void poisonRecordsReachTheDeadLetterTopicWithOriginalBytesAndReasonsAndThePartitionContinues() {
        send(broker, event(topic, "e1", "not json at all"), event(topic, null, "{\"id\":\"no-key\"}"),
                event(topic, "e2", "{\"id\":\"e2\",\"amount\":10}"), event(topic, "e2", "{\"id\":\"e2\",\"amount\":99}"),
                event(topic, "e3", "{\"id\":\"e3\"}"));
        application(EffectListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 5);
            assertThat(effects()).containsExactlyInAnyOrder("e2", "e3");
            List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readAll(topic + "-dlt", 3, TIMEOUT);
            assertThat(deadLetters).hasSize(3);
            assertThat(text(deadLetters.get(0).value())).isEqualTo("not json at all");
            assertThat(header(deadLetters.get(0), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("INVALID");
            assertThat(header(deadLetters.get(0), DedupErrorHandling.REASON_HEADER)).contains("cannot deserialize");
            assertThat(text(deadLetters.get(1).value())).isEqualTo("{\"id\":\"no-key\"}");
            assertThat(header(deadLetters.get(1), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("INVALID");
            assertThat(header(deadLetters.get(1), DedupErrorHandling.REASON_HEADER)).contains("no dedup key");
            assertThat(header(deadLetters.get(2), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("CONFLICT");
            assertThat(header(deadLetters.get(2), DedupErrorHandling.REASON_HEADER)).contains("different payload");
            assertThat(header(deadLetters.get(2), "kafka_dlt-original-offset")).isNotNull();
        });
    }

    @Test
    void aFailureAfterAJdbcTemplateWriteRollsBackTheWriteTogetherWithTheClaim() {
        send(broker, event(topic, "e1", "{\"id\":\"e1\",\"failOnce\":true}"));
        application(EffectListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 1);
            assertThat(context.getBean(EffectListener.class).invocations()).isEqualTo(2);
            assertThat(effects()).containsExactly("e1");
        });
    }

    @Test
    void aRequiresNewWriteSurvivesTheRollbackAndSoBreaksTheGuarantee() {
        send(broker, event(topic, "e1", "{\"id\":\"e1\",\"failOnce\":true,\"audit\":true}"));
        application(EffectListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 1);
            assertThat(effects()).containsExactly("e1");
            // The audit row of the rolled-back attempt committed on its own: the effect happened twice.
            assertThat(jdbc.queryForList("SELECT event_id FROM audit", String.class)).containsExactly("e1", "e1");
        });
    }

    @ParameterizedTest(name = "dedup.batch.one-transaction={0}")
    @ValueSource(booleans = {true, false})
    void aBatchListenerWithAFailingAndAnUndeserializableRecordCommitsTheOthersExactlyOnce(boolean oneTransaction) {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e2", "{\"id\":\"e2\"}"),
                event(topic, "e3", "{\"id\":\"e3\",\"boom\":true}"), event(topic, "e1", "{\"id\":\"e1\"}"),
                event(topic, "e4", "{\"id\":\"e4\"}"), event(topic, "e5", "not json"),
                event(topic, "e6", "{\"id\":\"e6\"}"));
        application(BatchEffectListener.class).withPropertyValues("dedup.batch.one-transaction=" + oneTransaction)
                .run(context -> {
                    await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 7);
                    assertThat(effects()).containsExactlyInAnyOrder("e1", "e2", "e4", "e6");
                    List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readAll(topic + "-dlt", 2, TIMEOUT);
                    assertThat(deadLetters).hasSize(2);
                    assertThat(text(deadLetters.get(0).value())).contains("\"e3\"");
                    assertThat(header(deadLetters.get(0), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("FAILED");
                    assertThat(header(deadLetters.get(0), DedupErrorHandling.REASON_HEADER)).contains("cannot apply e3");
                    assertThat(text(deadLetters.get(1).value())).isEqualTo("not json");
                    assertThat(header(deadLetters.get(1), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("INVALID");
                });
    }

    @Test
    void underTheFailPolicyAConflictStopsThePartitionUncommittedInsteadOfBeingDeadLettered() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        send(broker, event(topic, "e1", "{\"id\":\"e1\",\"amount\":10}"),
                event(topic, "e1", "{\"id\":\"e1\",\"amount\":99}"), event(topic, "e2", "{\"id\":\"e2\"}"));
        application(EffectListener.class).withPropertyValues("dedup.conflict-policy=fail")
                .withBean(MeterRegistry.class, () -> meters)
                .run(context -> {
                    // dedup.retry.max-attempts=2 would dead-letter a failing listener after 2 attempts.
                    await().atMost(TIMEOUT).until(() -> conflicts(meters) >= 3);
                    assertThat(committed(broker, group, topic).call()).isEqualTo(1L);
                    assertThat(effects()).containsExactly("e1");
                    assertThat(broker.readAll(topic + "-dlt", 0, Duration.ofSeconds(1))).isEmpty();
                });
    }

    @Test
    void aPlainListenerCallingTheDedupTemplateAppliesEachEventOnce() {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e1", "{\"id\":\"e1\"}"),
                event(topic, "e2", "{\"id\":\"e2\"}"));
        application(TemplateListener.class).withPropertyValues("dedup.consumer-name=template", "dedup.key.header=event-id")
                .run(context -> {
                    await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 3);
                    assertThat(effects()).containsExactlyInAnyOrder("e1", "e2");
                    assertThat(jdbc.queryForList("SELECT DISTINCT consumer_name FROM dedup_record", String.class))
                            .containsExactly("template");
                });
    }

    @Test
    void aDatabaseOutageIsRetriedBeyondTheAttemptLimitAndNeverDeadLettered() {
        TestDatabase mariadb = TestDatabase.mariadb();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TcpProxy proxy = TcpProxy.start(mariadb.host(), mariadb.port())) {
            application(EffectListener.class, () -> {
                HikariDataSource throughProxy = mariadb.dataSource(schema(), proxy.port());
                throughProxy.getHikariConfigMXBean().setConnectionTimeout(250); // fail fast while the proxy is cut
                return throughProxy;
            })
                    .withBean(MeterRegistry.class, () -> meters)
                    .run(context -> {
                        proxy.cut();
                        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"));
                        // dedup.retry.max-attempts=2 would dead-letter a failing listener after 2 attempts.
                        await().atMost(TIMEOUT).until(() -> outageFailures(meters) >= 3);
                        proxy.restore();
                        await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 1);
                        assertThat(effects()).containsExactly("e1");
                        assertThat(meters.get("dedup.records").tag("outcome", "PROCESSED").counter().count()).isEqualTo(1);
                        assertThat(broker.readAll(topic + "-dlt", 0, Duration.ofSeconds(1))).isEmpty();
                    });
        }
    }

    @Test
    void aMissingDedupTableIsRetriedLikeAnOutageAndNeverDeadLettered() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        application(EffectListener.class).withBean(MeterRegistry.class, () -> meters).run(context -> {
            jdbc.execute("RENAME TABLE dedup_record TO dedup_record_away"); // a failed deploy, a misnamed table
            send(broker, event(topic, "e1", "{\"id\":\"e1\"}"));
            // dedup.retry.max-attempts=2 would dead-letter a failing listener after 2 attempts.
            await().atMost(TIMEOUT).until(() -> outageFailures(meters) >= 3);
            assertThat(broker.readAll(topic + "-dlt", 0, Duration.ofSeconds(1))).isEmpty();
            jdbc.execute("RENAME TABLE dedup_record_away TO dedup_record");
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 1);
            assertThat(effects()).containsExactly("e1");
            assertThat(broker.readAll(topic + "-dlt", 0, Duration.ofSeconds(1))).isEmpty();
        });
    }

    @Test
    void anApplicationsOwnErrorHandlerNeverSeesADatabaseOutageAndStillHandlesListenerFailures() {
        TestDatabase mariadb = TestDatabase.mariadb();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<String> recovered = new CopyOnWriteArrayList<>();
        try (TcpProxy proxy = TcpProxy.start(mariadb.host(), mariadb.port())) {
            application(EffectListener.class, () -> {
                HikariDataSource throughProxy = mariadb.dataSource(schema(), proxy.port());
                throughProxy.getHikariConfigMXBean().setConnectionTimeout(250);
                return throughProxy;
            })
                    .withBean(MeterRegistry.class, () -> meters)
                    // the application's own handler: 2 quick attempts, then its own recoverer (no dead-letter topic)
                    .withBean(CommonErrorHandler.class, () -> new DefaultErrorHandler(
                            (record, exception) -> recovered.add(record.topic() + "@" + record.offset()),
                            new FixedBackOff(20, 1)))
                    .run(context -> {
                        proxy.cut();
                        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"));
                        await().atMost(TIMEOUT).until(() -> outageFailures(meters) >= 4);
                        assertThat(recovered).isEmpty(); // 4 failed attempts, its limit is 2: it never got them
                        proxy.restore();
                        await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 1);
                        assertThat(effects()).containsExactly("e1");

                        send(broker, event(topic, "e2", "{\"id\":\"e2\",\"fail\":true}"));
                        await().atMost(TIMEOUT).until(() -> recovered.size() == 1);
                        assertThat(recovered).containsExactly(topic + "@1"); // a listener failure is still its own
                        assertThat(effects()).containsExactly("e1");
                    });
        }
    }

    private static double conflicts(MeterRegistry meters) {
        Counter counter = meters.find("dedup.records").tag("outcome", "CONFLICT").counter();
        return counter == null ? 0 : counter.count();
    }

    private static double outageFailures(MeterRegistry meters) {
        Counter counter = meters.find("dedup.failures").tag("kind", "database-unavailable").counter();
        return counter == null ? 0 : counter.count();
    }

    private List<String> effects() {
        return jdbc.queryForList("SELECT event_id FROM effect", String.class);
    }
}
