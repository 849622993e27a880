package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.kafka.RetentionGuard;
import io.dedupconsumer.spring.Deduplicated;
import io.dedupconsumer.testkit.KafkaBroker;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * {@code dedup.retention} drives a scheduled purge of old keys, and is checked at start-up against the retention of
 * the topics deduplicated listeners read: a key purged while Kafka can still redeliver its record would let it pass.
 */
class RetentionWiringTests {

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(EndToEnd.AUTO_CONFIGURATIONS)
            .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(RetentionGuard.class)).addAppender(logs);
        ((Logger) LoggerFactory.getLogger(TopicRetentionCheck.class)).addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        ((Logger) LoggerFactory.getLogger(RetentionGuard.class)).detachAppender(logs);
        ((Logger) LoggerFactory.getLogger(TopicRetentionCheck.class)).detachAppender(logs);
    }

    @Test
    void keysOlderThanTheRetentionWindowArePurgedOnASchedule() {
        runner.withPropertyValues("spring.kafka.bootstrap-servers=127.0.0.1:9", "spring.kafka.listener.auto-startup=false",
                "dedup.retention=1d", "dedup.purge.interval=1s").run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(DedupRetention.class).window()).isEqualTo(Duration.ofDays(1));
                    JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                    insertClaim(jdbc, "old", Instant.now().minus(Duration.ofDays(2)));
                    insertClaim(jdbc, "recent", Instant.now().minus(Duration.ofHours(1)));

                    await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForList(
                            "SELECT dedup_key FROM dedup_record", String.class), keys -> keys.equals(List.of("recent")));
                });
    }

    @Test
    void thePurgeCanBeTurnedOff() {
        runner.withPropertyValues("spring.kafka.bootstrap-servers=127.0.0.1:9", "spring.kafka.listener.auto-startup=false",
                "dedup.purge.enabled=false").run(context -> assertThat(context).hasNotFailed()
                        .doesNotHaveBean(DedupRetention.class));
    }

    @Test
    void aWindowShorterThanAListenedTopicsRetentionIsRefusedUnderFail() {
        String topic = topicKeeping(Duration.ofDays(30));
        runner.withUserConfiguration(Listener.class)
                .withPropertyValues(listening(topic, "dedup.retention=14d", "dedup.retention-check=fail"))
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("dedup.retention=PT336H")
                        .hasStackTraceContaining("is shorter than what Kafka can redeliver: topic " + topic)
                        .hasStackTraceContaining("Raise dedup.retention"));
    }

    @Test
    void aWindowShorterThanAListenedTopicsRetentionIsOnlyWarnedAboutByDefault() {
        String topic = topicKeeping(Duration.ofDays(30));
        runner.withUserConfiguration(Listener.class).withPropertyValues(listening(topic, "dedup.retention=14d"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    // the check runs in the background: wait for its warning
                    await().atMost(Duration.ofSeconds(20)).until(() -> warningsAbout(topic), warnings -> !warnings.isEmpty());
                    assertThat(warningsAbout(topic)).singleElement().asString()
                            .contains("the dedup window PT336H is shorter than what Kafka can redeliver");
                });
    }

    @Test
    void nothingIsCheckedUnderOff() {
        String unchecked = topicKeeping(Duration.ofDays(30));
        String checked = topicKeeping(Duration.ofDays(30));
        runner.withUserConfiguration(Listener.class)
                .withPropertyValues(listening(unchecked, "dedup.retention=14d", "dedup.retention-check=off"))
                .run(off -> {
                    assertThat(off).hasNotFailed();
                    // a check started under off would have been started before this one, and warned first
                    runner.withUserConfiguration(Listener.class)
                            .withPropertyValues(listening(checked, "dedup.retention=14d", "dedup.retention-check=warn"))
                            .run(warn -> await().atMost(Duration.ofSeconds(20))
                                    .until(() -> warningsAbout(checked), warnings -> !warnings.isEmpty()));
                    assertThat(warningsAbout(unchecked)).isEmpty();
                });
    }

    /** The warnings logged so far that name the topic; the appender appends under its own lock. */
    private List<String> warningsAbout(String topic) {
        synchronized (logs) {
            return logs.list.stream().filter(event -> event.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).filter(message -> message.contains(topic)).toList();
        }
    }

    @Test
    void aWindowCoveringTheTopicsRetentionStartsUnderFail() {
        String topic = topicKeeping(Duration.ofDays(3));
        runner.withUserConfiguration(Listener.class)
                .withPropertyValues(listening(topic, "dedup.retention=14d", "dedup.retention-check=fail"))
                .run(context -> assertThat(context).hasNotFailed());
    }

    private static String[] listening(String topic, String... more) {
        List<String> properties = new ArrayList<>(List.of(
                "spring.kafka.bootstrap-servers=" + KafkaBroker.shared().bootstrapServers(),
                "test.topic=" + topic, "test.group=retention-" + topic));
        properties.addAll(List.of(more));
        return properties.toArray(new String[0]);
    }

    private static String topicKeeping(Duration retention) {
        String topic = "retention-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaBroker.shared().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                    TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retention.toMillis()))))).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot create " + topic, e);
        }
        return topic;
    }

    private static void insertClaim(JdbcTemplate jdbc, String key, Instant processedAt) {
        jdbc.update("INSERT INTO dedup_record (consumer_name, dedup_key, fingerprint, outcome, source_topic, "
                + "source_partition, source_offset, processed_at) VALUES ('orders', ?, X'00', 'PROCESSED', 't', 0, 0, ?)",
                key, Timestamp.from(processedAt));
    }

    /** A deduplicated listener on {@code test.topic}; no record is sent to it. */
    public static class Listener {
        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
        public void on(String event) {
        }
    }
}
