package io.dedupconsumer.spring.boot;

import io.dedupconsumer.kafka.RetentionGuard;
import io.dedupconsumer.spring.DedupTemplates;
import io.dedupconsumer.spring.boot.DedupProperties.RetentionCheck;
import java.time.Duration;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;

/**
 * Compares {@code dedup.retention} with the retention of every topic a deduplicated listener reads, once, after the
 * listener containers are created and before they start: a key purged while Kafka can still redeliver its record lets
 * that record pass as new. Under {@code dedup.retention-check=fail} the application refuses to start; under
 * {@code warn} the check runs in the background, so that an unreachable broker never delays the start-up.
 */
final class TopicRetentionCheck implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(TopicRetentionCheck.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final KafkaAdmin kafkaAdmin;
    private final DedupProperties properties;
    private final DedupTemplates templates;
    private volatile boolean running;
    private volatile @Nullable Thread background;

    TopicRetentionCheck(KafkaAdmin kafkaAdmin, DedupProperties properties, DedupTemplates templates) {
        this.kafkaAdmin = kafkaAdmin;
        this.properties = properties;
        this.templates = templates;
    }

    @Override
    public void start() {
        running = true;
        Set<String> topics = templates.topics();
        RetentionCheck mode = properties.getRetentionCheck();
        if (mode == RetentionCheck.OFF || topics.isEmpty()) {
            return;
        }
        if (mode == RetentionCheck.WARN) {
            Thread check = new Thread(() -> check(topics, mode), "dedup-retention-check");
            check.setDaemon(true);
            background = check;
            check.start();
        } else {
            check(topics, mode);
        }
    }

    private void check(Set<String> topics, RetentionCheck mode) {
        try (Admin admin = Admin.create(kafkaAdmin.getConfigurationProperties())) {
            RetentionGuard.builder().admin(admin).window(properties.getRetention()).timeout(TIMEOUT)
                    .onTooShort(mode == RetentionCheck.FAIL ? RetentionGuard.OnTooShort.FAIL : RetentionGuard.OnTooShort.WARN)
                    .build().check(topics);
        } catch (RuntimeException e) {
            if (mode == RetentionCheck.FAIL) {
                throw new IllegalStateException("dedup.retention=" + properties.getRetention() + " was checked against "
                        + "the topics " + topics + " and refused (dedup.retention-check=fail): " + e.getMessage()
                        + " Raise dedup.retention, or set dedup.retention-check=warn to start anyway.", e);
            }
            if (running) {
                log.warn("dedup.retention could not be checked against the topics {}: {}", topics, e.toString());
            }
        }
    }

    /** Ends a check still waiting for the broker: the application is going away. */
    @Override
    public void stop() {
        running = false;
        Thread check = background;
        if (check != null) {
            check.interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Just before the listener containers start. */
    @Override
    public int getPhase() {
        return AbstractMessageListenerContainer.DEFAULT_PHASE - 100;
    }
}
