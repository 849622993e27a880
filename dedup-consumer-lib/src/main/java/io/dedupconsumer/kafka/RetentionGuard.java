package io.dedupconsumer.kafka;

import io.dedupconsumer.core.InvalidSettingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses to start a consumer whose dedup window is shorter than its topics' retention.
 *
 * <p>Why: the dedup table forgets a key once its window has passed ({@code io.dedupconsumer.jdbc.DedupRetention}),
 * but Kafka can redeliver a record for as long as it keeps it: after a consumer group's offsets expire or are reset,
 * after a replay. A redelivered record older than the window would then pass as new and its side effect would happen
 * twice. So the window must be at least {@code retention.ms} of every topic consumed, and a topic that keeps records
 * forever ({@code retention.ms=-1}, or compacted only) is too long for any window, unless the user acknowledges it
 * ({@link Builder#acceptInfiniteRetention(boolean)}) because nothing will ever read it from further back than the
 * window.
 *
 * <p>Runners call {@link #check(Collection)} once at start-up. It reads the topics' configuration with the Admin
 * client's {@code describeConfigs} (the principal needs {@code DescribeConfigs} on the topics), so it sees broker
 * defaults as well as topic overrides. It depends on nothing but kafka-clients.
 */
public final class RetentionGuard {

    private static final Logger log = LoggerFactory.getLogger(RetentionGuard.class);

    /** What to do when a window is shorter than a topic's retention. */
    public enum OnTooShort {
        /** Throw {@link IllegalStateException}: the consumer must not start. The default. */
        FAIL,
        /** Log a warning and go on. */
        WARN
    }

    private final Admin admin;
    private final Duration window;
    private final OnTooShort onTooShort;
    private final boolean acceptInfiniteRetention;
    private final Duration timeout;

    private RetentionGuard(Builder b) {
        this.admin = b.admin;
        this.window = b.window;
        this.onTooShort = b.onTooShort;
        this.acceptInfiniteRetention = b.acceptInfiniteRetention;
        this.timeout = b.timeout;
    }

    /** A builder; {@code admin} and {@code window} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the retention of each topic and compares the window with it. Topics that do not exist yet are logged
     * and skipped (they will get the broker's defaults when created; check again once they exist).
     *
     * @return the retention read for each existing topic, in the order given
     * @throws IllegalStateException under {@link OnTooShort#FAIL} when the window is shorter than a topic's retention
     *     (or a topic keeps records forever and that was not accepted), or when the configuration cannot be read
     */
    public List<TopicRetention> check(Collection<String> topics) {
        Objects.requireNonNull(topics, "topics");
        List<TopicRetention> retentions = describe(new LinkedHashSet<>(topics));
        List<String> tooShort = new ArrayList<>();
        for (TopicRetention topic : retentions) {
            switch (topic.coverage(window)) {
                case COVERED -> log.debug("dedup window {} covers topic {} ({})", window, topic.topic(), topic.describe());
                case MARGINAL -> log.warn("dedup window {} is at least the retention of topic {} ({}) but shorter than "
                        + "retention.ms + segment.ms = {}: Kafka deletes whole segments, so a record of a slowly filled "
                        + "segment can be redelivered after its key is purged; a window of {} or more is safe",
                        window, topic.topic(), topic.describe(), topic.safeWindow(), topic.safeWindow());
                case TOO_SHORT -> {
                    if (topic.infinite() && acceptInfiniteRetention) {
                        log.info("topic {} keeps records forever ({}); accepted: records older than the dedup window "
                                + "{} must never be consumed again", topic.topic(), topic.describe(), window);
                    } else {
                        tooShort.add(explain(topic));
                    }
                }
                default -> throw new IllegalStateException("unknown coverage");
            }
        }
        if (!tooShort.isEmpty()) {
            String message = "the dedup window " + window + " is shorter than what Kafka can redeliver: "
                    + String.join("; ", tooShort) + ". A redelivered record older than the window would pass as new "
                    + "and its side effect would happen twice.";
            if (onTooShort == OnTooShort.FAIL) {
                throw new IllegalStateException(message + " Lengthen the window, shorten the topics' retention.ms, or "
                        + "set onTooShort(WARN) if you accept that risk.");
            }
            log.warn(message);
        }
        return retentions;
    }

    private String explain(TopicRetention topic) {
        if (topic.infinite()) {
            return "topic " + topic.topic() + " keeps records forever (" + topic.describe() + "); accept that with "
                    + "acceptInfiniteRetention(true) only if no consumer will ever read it from further back than the window";
        }
        return "topic " + topic.topic() + " keeps records for " + topic.retention() + " (" + topic.describe()
                + "); use a window of at least " + topic.safeWindow();
    }

    private List<TopicRetention> describe(Collection<String> topics) {
        Map<String, KafkaFuture<Config>> futures = new LinkedHashMap<>();
        List<ConfigResource> resources = topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        admin.describeConfigs(resources).values().forEach((resource, future) -> futures.put(resource.name(), future));
        List<TopicRetention> retentions = new ArrayList<>(topics.size());
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String topic : topics) {
            try {
                Config config = futures.get(topic).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                retentions.add(new TopicRetention(topic, longValue(config, TopicConfig.RETENTION_MS_CONFIG),
                        longValue(config, TopicConfig.SEGMENT_MS_CONFIG), value(config, TopicConfig.CLEANUP_POLICY_CONFIG)));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    log.warn("topic {} does not exist yet; its retention cannot be checked against the dedup window {}",
                            topic, window);
                } else {
                    unreadable(topic, e.getCause());
                }
            } catch (TimeoutException e) {
                unreadable(topic, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the retention of topic " + topic, e);
            }
        }
        return retentions;
    }

    private void unreadable(String topic, Throwable cause) {
        String message = "cannot read the retention of topic " + topic + " to check the dedup window " + window
                + " against it (the principal needs DescribeConfigs on the topic): " + cause;
        if (onTooShort == OnTooShort.FAIL) {
            throw new IllegalStateException(message, cause);
        }
        log.warn(message);
    }

    private static @Nullable String value(Config config, String name) {
        ConfigEntry entry = config.get(name);
        return entry == null ? null : entry.value();
    }

    private static long longValue(Config config, String name) {
        String value = value(config, name);
        if (value == null) {
            throw new IllegalStateException("the broker reported no " + name + " for a topic");
        }
        return Long.parseLong(value.trim());
    }

    /**
     * Configures a {@link RetentionGuard}. Setters check their value at once; {@link #build()} checks the required
     * ones. The messages name the setting.
     */
    public static final class Builder {
        private @Nullable Admin admin;
        private @Nullable Duration window;
        private OnTooShort onTooShort = OnTooShort.FAIL;
        private boolean acceptInfiniteRetention;
        private Duration timeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /** Required. The Admin client that reads the topics' configuration; the caller keeps and closes it. */
        public Builder admin(Admin admin) {
            this.admin = Objects.requireNonNull(admin, "admin");
            return this;
        }

        /** Required. The dedup window, as configured in {@code DedupRetention}. */
        public Builder window(Duration window) {
            if (window == null || window.isNegative() || window.isZero()) {
                throw new InvalidSettingException("window", window, window + " is not a positive duration");
            }
            this.window = window;
            return this;
        }

        /** What a too-short window does: {@link OnTooShort#FAIL} (the default) or {@link OnTooShort#WARN}. */
        public Builder onTooShort(OnTooShort onTooShort) {
            this.onTooShort = Objects.requireNonNull(onTooShort, "onTooShort");
            return this;
        }

        /**
         * Whether topics that keep records forever ({@code retention.ms=-1}, or compacted only) are accepted; defaults
         * to {@code false}. Say {@code true} only if no consumer will ever read such a topic from further back than
         * the window (no offset reset to the earliest, no replay).
         */
        public Builder acceptInfiniteRetention(boolean accept) {
            this.acceptInfiniteRetention = accept;
            return this;
        }

        /** How long to wait for the broker's answer; defaults to 30 s. */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new InvalidSettingException("timeout", timeout, timeout + " is out of range; use more than zero and "
                        + "at most 10 minutes");
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Builds the guard.
         *
         * @throws IllegalStateException naming the missing setting
         */
        public RetentionGuard build() {
            if (admin == null) {
                throw new IllegalStateException("admin: required; give an Admin client of the cluster the consumer reads");
            }
            if (window == null) {
                throw new IllegalStateException("window: required; give the dedup window of DedupRetention");
            }
            return new RetentionGuard(this);
        }
    }
}
