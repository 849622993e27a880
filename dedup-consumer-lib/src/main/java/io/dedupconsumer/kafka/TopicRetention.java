package io.dedupconsumer.kafka;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * How long Kafka may keep a topic's records, and so how long one of them may be redelivered: the topic's
 * {@code retention.ms}, {@code segment.ms} and {@code cleanup.policy} as the broker reports them (topic overrides
 * or the broker's defaults).
 *
 * <p>Kafka deletes whole segments, and only once the newest record of a segment is older than {@code retention.ms}.
 * A record can therefore be read for up to {@code retention.ms + segment.ms} after it was written (in a quiet topic,
 * a segment rolls only when it is {@code segment.ms} old). A topic whose {@code cleanup.policy} lacks {@code delete}
 * (compacted only) keeps records forever, whatever its {@code retention.ms}.
 *
 * @param retentionMs {@code retention.ms}; {@code -1} means forever
 * @param segmentMs {@code segment.ms}, how long a segment stays open at most
 * @param cleanupPolicy {@code cleanup.policy}, e.g. {@code delete}, {@code compact} or {@code compact,delete}
 */
public record TopicRetention(String topic, long retentionMs, long segmentMs, @Nullable String cleanupPolicy) {

    /** How a dedup window compares with what the topic can redeliver. */
    public enum Coverage {
        /** The window outlives every record of the topic, segment granularity included. */
        COVERED,
        /**
         * The window is at least {@code retention.ms} but shorter than {@code retention.ms + segment.ms}: a record
         * from a slowly filled segment can outlive its key. Only a warning: a busy topic rolls segments by size long
         * before {@code segment.ms}.
         */
        MARGINAL,
        /** The window is shorter than {@code retention.ms}, or the topic keeps records forever. */
        TOO_SHORT
    }

    /** Whether the topic keeps records forever: {@code retention.ms=-1}, or no {@code delete} in its cleanup policy. */
    public boolean infinite() {
        return retentionMs < 0 || !deletes();
    }

    private boolean deletes() {
        return cleanupPolicy == null || Arrays.stream(cleanupPolicy.split(","))
                .anyMatch(policy -> policy.trim().toLowerCase(Locale.ROOT).equals("delete"));
    }

    /** The retention as a duration; {@code null} when {@link #infinite()}. */
    public @Nullable Duration retention() {
        return infinite() ? null : Duration.ofMillis(retentionMs);
    }

    /** The shortest window that outlives every record of the topic; {@code null} when {@link #infinite()}. */
    public @Nullable Duration safeWindow() {
        return infinite() ? null : Duration.ofMillis(retentionMs).plusMillis(Math.max(0, segmentMs));
    }

    /** How {@code window} compares with this topic's retention. */
    public Coverage coverage(Duration window) {
        if (infinite() || window.compareTo(Duration.ofMillis(retentionMs)) < 0) {
            return Coverage.TOO_SHORT;
        }
        return window.compareTo(safeWindow()) < 0 ? Coverage.MARGINAL : Coverage.COVERED;
    }

    /** The topic's settings as a Kafka user writes them. */
    public String describe() {
        return "retention.ms=" + retentionMs + ", segment.ms=" + segmentMs + ", cleanup.policy=" + cleanupPolicy;
    }
}
