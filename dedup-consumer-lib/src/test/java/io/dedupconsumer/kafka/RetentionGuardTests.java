package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dedupconsumer.kafka.TopicRetention.Coverage;
import io.dedupconsumer.testkit.KafkaBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The start-up check of the dedup window against real topics' retention on a real KRaft broker. */
class RetentionGuardTests {

    private static final Duration THREE_DAYS = Duration.ofDays(3);
    private static final Duration ONE_HOUR = Duration.ofHours(1);

    private static Admin admin;
    private static String threeDays;
    private static String forever;
    private static String compacted;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    static void topics() throws Exception {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers()));
        threeDays = create("three-days", Map.of("retention.ms", String.valueOf(THREE_DAYS.toMillis()),
                "segment.ms", String.valueOf(ONE_HOUR.toMillis())));
        forever = create("forever", Map.of("retention.ms", "-1"));
        compacted = create("compacted", Map.of("cleanup.policy", "compact", "retention.ms", "60000"));
    }

    private static String create(String prefix, Map<String, String> configs) throws Exception {
        String name = "retention-guard-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        admin.createTopics(List.of(new NewTopic(name, Optional.of(1), Optional.empty()).configs(configs)))
                .all().get(30, TimeUnit.SECONDS);
        // The controller has the topic; the broker that answers describeConfigs may learn of it a moment later, and
        // the guard would then (rightly) skip it as not existing yet.
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> admin.describeConfigs(List.of(resource))
                .all().get(5, TimeUnit.SECONDS).containsKey(resource));
        return name;
    }

    @AfterAll
    static void closeAdmin() {
        admin.close();
    }

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(RetentionGuard.class)).addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        ((Logger) LoggerFactory.getLogger(RetentionGuard.class)).detachAppender(logs);
    }

    private static RetentionGuard.Builder guard(Duration window) {
        return RetentionGuard.builder().admin(admin).window(window);
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aWindowLongerThanRetentionPlusSegmentPassesSilently() {
        List<TopicRetention> read = guard(Duration.ofDays(4)).build().check(List.of(threeDays));

        assertThat(read).containsExactly(new TopicRetention(threeDays, THREE_DAYS.toMillis(), ONE_HOUR.toMillis(), "delete"));
        assertThat(read.get(0).coverage(Duration.ofDays(4))).isEqualTo(Coverage.COVERED);
        assertThat(warnings()).isEmpty();
    }

    @Test
    void aWindowShorterThanTheTopicsRetentionRefusesToStartNamingTopicAndSafeWindow() {
        RetentionGuard guard = guard(Duration.ofDays(2)).build();

        assertThatThrownBy(() -> guard.check(List.of(threeDays)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic " + threeDays + " keeps records for PT72H")
                .hasMessageContaining("retention.ms=259200000")
                .hasMessageContaining("use a window of at least PT73H");
    }

    @Test
    void aWindowShorterThanRetentionOnlyWarnsWhenToldTo() {
        List<TopicRetention> read = guard(Duration.ofDays(2)).onTooShort(RetentionGuard.OnTooShort.WARN).build()
                .check(List.of(threeDays));

        assertThat(read.get(0).coverage(Duration.ofDays(2))).isEqualTo(Coverage.TOO_SHORT);
        assertThat(warnings()).singleElement().asString().contains("shorter than what Kafka can redeliver", threeDays);
    }

    @Test
    void aWindowBetweenRetentionAndRetentionPlusSegmentIsAWarningAboutSegmentsNotARefusal() {
        Duration window = THREE_DAYS.plusMinutes(30);
        List<TopicRetention> read = guard(window).build().check(List.of(threeDays));

        assertThat(read.get(0).coverage(window)).isEqualTo(Coverage.MARGINAL);
        assertThat(warnings()).singleElement().asString().contains("deletes whole segments", "PT73H");
    }

    @Test
    void topicsThatKeepRecordsForeverAreTooLongForAnyWindowUnlessAccepted() {
        Duration tenYears = Duration.ofDays(3_650);
        assertThatThrownBy(() -> guard(tenYears).build().check(List.of(forever, compacted)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic " + forever + " keeps records forever (retention.ms=-1")
                .hasMessageContaining("topic " + compacted + " keeps records forever (retention.ms=60000")
                .hasMessageContaining("cleanup.policy=compact");

        List<TopicRetention> read = guard(tenYears).acceptInfiniteRetention(true).build().check(List.of(forever, compacted));
        assertThat(read).extracting(TopicRetention::infinite).containsExactly(true, true);
        assertThat(warnings()).isEmpty();
    }

    @Test
    void aTopicThatDoesNotExistYetIsSkippedWithAWarning() {
        String missing = "retention-guard-missing-" + UUID.randomUUID();
        List<TopicRetention> read = guard(Duration.ofDays(4)).build().check(List.of(missing, threeDays));

        assertThat(read).extracting(TopicRetention::topic).containsExactly(threeDays);
        assertThat(warnings()).singleElement().asString().contains(missing, "does not exist yet");
    }

    @Test
    void everySettingIsCheckedAndTheMessageNamesIt() {
        assertThatThrownBy(() -> RetentionGuard.builder().window(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("window:");
        assertThatThrownBy(() -> RetentionGuard.builder().timeout(Duration.ofMinutes(11)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timeout:");
        assertThatThrownBy(() -> RetentionGuard.builder().window(Duration.ofDays(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("admin: required");
        assertThatThrownBy(() -> RetentionGuard.builder().admin(admin).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("window: required");
    }

    @Test
    void coverageComparesTheWindowWithRetentionAndSegmentRoll() {
        TopicRetention week = new TopicRetention("t", Duration.ofDays(7).toMillis(), Duration.ofDays(7).toMillis(), "compact,delete");
        assertThat(week.coverage(Duration.ofDays(6))).isEqualTo(Coverage.TOO_SHORT);
        assertThat(week.coverage(Duration.ofDays(7))).isEqualTo(Coverage.MARGINAL);
        assertThat(week.coverage(Duration.ofDays(14))).isEqualTo(Coverage.COVERED);
        assertThat(week.infinite()).isFalse();
        assertThat(new TopicRetention("t", 1000, 1000, "compact").infinite()).isTrue();
        assertThat(new TopicRetention("t", -1, 1000, "delete").safeWindow()).isNull();
    }
}
