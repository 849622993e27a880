package io.dedupconsumer.spring.boot;

import static io.dedupconsumer.spring.boot.EndToEnd.TIMEOUT;
import static io.dedupconsumer.spring.boot.EndToEnd.committed;
import static io.dedupconsumer.spring.boot.EndToEnd.event;
import static io.dedupconsumer.spring.boot.EndToEnd.header;
import static io.dedupconsumer.spring.boot.EndToEnd.send;
import static io.dedupconsumer.spring.boot.EndToEnd.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.spring.DedupErrorHandling;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.listener.BatchInterceptor;

/**
 * {@code @Deduplicated} batch listeners ({@code batch = "true"}) in a Spring Boot application, on the real broker and
 * real MariaDB and PostgreSQL: the method gets the poll's newly claimed records in one call, writes them with one
 * {@code batchUpdate}, returns a result per record; a record it fails on is found and fails alone.
 */
class DeduplicatedBatchListenerTests {

    private final KafkaBroker broker = KafkaBroker.shared();
    private final String topic = broker.uniqueTopic("dedup-spring-batch", 1);
    private final String group = "group-" + topic;
    private final List<HikariDataSource> pools = new ArrayList<>();
    private JdbcTemplate jdbc;

    static Stream<TestDatabase> databases() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    static Stream<Arguments> databasesAndSignatures() {
        return databases().flatMap(database -> Stream.of(Arguments.of(database, PayloadBatchListener.class),
                Arguments.of(database, RecordsBatchListener.class)));
    }

    @AfterEach
    void closePools() {
        pools.forEach(HikariDataSource::close);
    }

    /** A Boot application with {@code listener} on a fresh database of {@code server} with the {@code effect} table. */
    private ApplicationContextRunner application(TestDatabase server, Class<?> listener) {
        String database = server.createDatabase("spring_batch");
        HikariDataSource pool = server.dataSource(database);
        pools.add(pool);
        jdbc = new JdbcTemplate(pool);
        jdbc.execute("CREATE TABLE effect (event_id VARCHAR(64) NOT NULL)");
        return EndToEnd.application(broker, topic, group, listener, () -> server.dataSource(database))
                .withBean(Polls.class);
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("databasesAndSignatures")
    void theMethodIsCalledOncePerPollWithAllItsNewRecordsAndNeverSeesADuplicate(TestDatabase server,
            Class<? extends LedgerBatch> listener) {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e2", "{\"id\":\"e2\"}"),
                event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e3", "{\"id\":\"e3\"}"),
                event(topic, "e2", "{\"id\":\"e2\"}"), event(topic, "e4", "{\"id\":\"e4\"}"));
        application(server, listener).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 6);
            // A second poll: re-sends of keys claimed by the first one, and new keys.
            send(broker, event(topic, "e3", "{\"id\":\"e3\"}"), event(topic, "e5", "{\"id\":\"e5\"}"),
                    event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e6", "{\"id\":\"e6\"}"));
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 10);

            List<List<String>> polls = context.getBean(Polls.class).ids();
            assertThat(polls.stream().mapToInt(List::size).sum()).isEqualTo(10);
            List<List<String>> expected = new ArrayList<>();
            Set<String> claimed = new HashSet<>();
            for (List<String> poll : polls) {
                List<String> fresh = poll.stream().filter(claimed::add).toList();
                if (!fresh.isEmpty()) {
                    expected.add(fresh);
                }
            }
            assertThat(context.getBean(listener).calls()).as("one call per poll, with its new records only")
                    .isEqualTo(expected).hasSizeLessThan(10);
            assertThat(effects()).containsExactly("e1", "e2", "e3", "e4", "e5", "e6");
            assertThat(outcomes()).containsOnly("PROCESSED").hasSize(6);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void rejectedResultsReturnedByTheMethodAreRecordedAsRejectedWithTheirWrites(TestDatabase server) {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e2", "{\"id\":\"e2\",\"reject\":true}"),
                event(topic, "e3", "{\"id\":\"e3\"}"), event(topic, "e2", "{\"id\":\"e2\",\"reject\":true}"));
        application(server, PayloadBatchListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 4);
            assertThat(jdbc.query("SELECT dedup_key, outcome FROM dedup_record ORDER BY dedup_key",
                    (row, n) -> row.getString(1) + "=" + row.getString(2))).containsExactly("e1=PROCESSED", "e2=REJECTED", "e3=PROCESSED");
            assertThat(effects()).containsExactly("e1", "e2", "e3");
            assertThat(broker.readAll(topic + "-dlt", 0, Duration.ofSeconds(1))).isEmpty();
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aRecordFailingInTheMiddleOfABatchIsRetriedAndDeadLetteredAloneWhileTheOthersCommitOnce(TestDatabase server) {
        List<String> ids = List.of("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8");
        send(broker, ids.stream().map(id -> event(topic, id, id.equals("e5")
                ? "{\"id\":\"e5\",\"boom\":true}" : "{\"id\":\"" + id + "\"}")).toArray(ProducerRecord[]::new));
        application(server, PayloadBatchListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 8);
            assertThat(effects()).containsExactly("e1", "e2", "e3", "e4", "e6", "e7", "e8");
            assertThat(outcomes()).containsOnly("PROCESSED").hasSize(7);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readAll(topic + "-dlt", 1, TIMEOUT);
            assertThat(deadLetters).hasSize(1);
            assertThat(text(deadLetters.get(0).value())).isEqualTo("{\"id\":\"e5\",\"boom\":true}");
            assertThat(header(deadLetters.get(0), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("FAILED");
            assertThat(header(deadLetters.get(0), DedupErrorHandling.REASON_HEADER)).contains("cannot apply e5");
            List<List<String>> calls = context.getBean(PayloadBatchListener.class).calls();
            assertThat(calls.stream().filter(call -> call.equals(List.of("e5"))).count())
                    .as("e5 is retried alone").isGreaterThanOrEqualTo(2);
            assertThat(calls).as("no call gives the records after e5 again once they committed")
                    .filteredOn(call -> call.contains("e6")).last().isEqualTo(List.of("e6", "e7", "e8"));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void theLibrarysFastPathRunsInABatchListenerOnTheClaimsConnection(TestDatabase server) {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e2", "{\"id\":\"e2\",\"reject\":true}"),
                event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e3", "{\"id\":\"e3\",\"boom\":true}"),
                event(topic, "e4", "{\"id\":\"e4\"}"));
        application(server, StatementsBatchListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 5);
            assertThat(effects()).as("a rejected record runs none of its statements; the failing one rolled back")
                    .containsExactly("e1", "e4");
            assertThat(jdbc.query("SELECT dedup_key, outcome FROM dedup_record ORDER BY dedup_key",
                    (row, n) -> row.getString(1) + "=" + row.getString(2)))
                    .containsExactly("e1=PROCESSED", "e2=REJECTED", "e4=PROCESSED");
            List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readAll(topic + "-dlt", 1, TIMEOUT);
            assertThat(deadLetters).hasSize(1);
            assertThat(header(deadLetters.get(0), DedupErrorHandling.REASON_HEADER)).contains("cannot apply e3");
            assertThat(context.getBean(StatementsBatchListener.class).calls().get(0))
                    .as("one call with the poll's new records").containsExactly("e1", "e2", "e3", "e4");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aResultListOfTheWrongSizeFailsItsRecordInsteadOfBeingGuessedAt(TestDatabase server) {
        send(broker, event(topic, "e1", "{\"id\":\"e1\"}"), event(topic, "e2", "{\"id\":\"e2\",\"miscount\":true}"),
                event(topic, "e3", "{\"id\":\"e3\"}"));
        application(server, PayloadBatchListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 3);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readAll(topic + "-dlt", 1, TIMEOUT);
            assertThat(deadLetters).hasSize(1);
            assertThat(text(deadLetters.get(0).value())).contains("\"e2\"");
            assertThat(header(deadLetters.get(0), DedupErrorHandling.REASON_HEADER))
                    .contains("returned 2 results for 1 records");
            assertThat(effects()).containsExactly("e1", "e3");
            assertThat(jdbc.queryForList("SELECT dedup_key FROM dedup_record ORDER BY dedup_key", String.class))
                    .containsExactly("e1", "e3");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aBatchMethodReturningOneResultForTheWholeListIsRefusedAtStartUp(TestDatabase server) {
        application(server, SingleResultBatchListener.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasStackTraceContaining("returns one HandlerResult")
                    .hasStackTraceContaining("declare it to return List<HandlerResult>");
        });
    }

    private List<String> effects() {
        return jdbc.queryForList("SELECT event_id FROM effect ORDER BY event_id", String.class);
    }

    private List<String> outcomes() {
        return jdbc.queryForList("SELECT outcome FROM dedup_record", String.class);
    }


    /** Each poll the container hands to the listener, as event ids (Boot installs a BatchInterceptor bean). */
    public static class Polls implements BatchInterceptor<Object, Object> {

        private final List<List<String>> polls = new CopyOnWriteArrayList<>();

        @Override
        public ConsumerRecords<Object, Object> intercept(ConsumerRecords<Object, Object> records,
                Consumer<Object, Object> consumer) {
            List<String> ids = new ArrayList<>();
            records.forEach(record -> ids.add(text(record.headers().lastHeader("event-id").value())));
            polls.add(ids);
            return records;
        }

        List<List<String>> ids() {
            return List.copyOf(polls);
        }
    }
}
