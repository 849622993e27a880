package io.dedupconsumer.audit;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Fingerprint;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * Classifies every record of a topic against the dedup table, the group's committed offsets and the dead letters,
 * one chunk at a time (the keys of a chunk are looked up in bulk), keeping counts and the first findings only.
 *
 * <p>A record below the committed offset was consumed: its key must be claimed, or the record dead-lettered. When it
 * is neither, it was either lost or its claim was purged by the retention. A purge deletes the oldest claims
 * (by {@code processed_at}) and a partition's records are claimed in offset order, so a purged record lies before
 * the lowest offset still claimed in its partition and is older than the oldest claim left and than the
 * {@code --retention} window; a record that fails any of these was never claimed: lost. A re-send of a key found purged
 * is purged too, wherever it lies (its claim came from the first record); the audit remembers up to
 * {@value #REMEMBERED_PURGED_KEYS} such keys, and says so when there were more.
 */
final class Audit {

    /** Purged keys remembered to recognise their re-sends: a bound on memory, not on what is counted. */
    static final int REMEMBERED_PURGED_KEYS = 100_000;

    private final ClaimTable table;
    private final DedupKey keys;
    private final Fingerprint fingerprint = Fingerprint.sha256();
    private final Map<Integer, Long> committed;
    private final DeadLetters deadLetters;
    private final String deadLetterTopic;
    private final Map<Integer, Long> lowestClaimed;
    /** Records older than this may have had their claim purged; {@code null}: none can. */
    private final @Nullable Instant purgeBound;
    private final int limit;
    private final AuditReport report;
    private final Set<String> purgedKeys = new HashSet<>();
    private boolean purgedKeysOverflowed;

    Audit(ClaimTable table, DedupKey keys, Map<Integer, Long> committed, DeadLetters deadLetters,
            String deadLetterTopic, Map<Integer, Long> lowestClaimed, @Nullable Instant purgeBound, int limit, AuditReport report) {
        this.table = table;
        this.keys = keys;
        this.committed = committed;
        this.deadLetters = deadLetters;
        this.deadLetterTopic = deadLetterTopic;
        this.lowestClaimed = lowestClaimed;
        this.purgeBound = purgeBound;
        this.limit = limit;
        this.report = report;
    }

    /**
     * The time before which a claim may have been purged: the oldest claim left, or {@code now - retention} when
     * that is earlier; {@code null} when the table has no claim and no retention is given (nothing says a purge ran).
     */
    static @Nullable Instant purgeBound(@Nullable Instant oldestClaim, @Nullable Duration retention, Instant now) {
        Instant byRetention = retention == null ? null : now.minus(retention);
        if (oldestClaim == null) {
            return byRetention;
        }
        return byRetention == null || oldestClaim.isBefore(byRetention) ? oldestClaim : byRetention;
    }

    /** Reads the whole topic through {@code reader}, then the claims not yet committed. */
    void run(TopicReader reader, int chunkSize, PrintWriter progress, Duration progressInterval) throws Exception {
        reader.read(chunkSize, this::chunk, progress, progressInterval);
        for (TopicPartition p : reader.partitions()) {
            Long offset = committed.get(p.partition());
            long from = offset == null ? 0 : offset;
            long notCommitted = table.countFrom(reader.topic(), p.partition(), from);
            long waiting = reader.end().get(p) - Math.max(from, reader.beginning().get(p));
            report.partitions.add(new AuditReport.PartitionState(p.partition(), reader.beginning().get(p),
                    reader.end().get(p), offset, Math.max(0, waiting), notCommitted));
            int room = limit - report.notCommitted.size();
            if (notCommitted > 0 && room > 0) {
                for (Claim c : table.listFrom(reader.topic(), p.partition(), from, room)) {
                    report.notCommitted.add(new AuditReport.Pending(c.key(), c.partition(), c.offset(), c.outcome(),
                            c.processedAt()));
                }
            }
            if (offset == null) {
                report.notes.add("the group has committed no offset for partition " + p.partition() + ": all its "
                        + "records count as waiting (is --group the consumer's group?)");
            }
        }
    }

    private void chunk(List<ConsumerRecord<byte[], byte[]>> chunk) throws Exception {
        Map<ConsumerRecord<byte[], byte[]>, String> keyOf = new HashMap<>(chunk.size() * 2);
        Set<String> distinct = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : chunk) {
            String key = keyOf(keys, record);
            if (key != null) {
                keyOf.put(record, key);
                distinct.add(key);
            }
        }
        Map<String, Claim> claims = table.find(distinct);
        for (ConsumerRecord<byte[], byte[]> record : chunk) {
            classify(record, keyOf.get(record), claims);
        }
    }

    private void classify(ConsumerRecord<byte[], byte[]> record, @Nullable String key, Map<String, Claim> claims)
            throws Exception {
        Long offset = committed.get(record.partition());
        if (offset == null || record.offset() >= offset) {
            report.count(AuditReport.WAITING);
            return;
        }
        DeadLetters.Entry deadLetter = deadLetters.of(record.partition(), record.offset());
        Claim claim = key == null ? null : claims.get(key);
        if (claim == null) {
            if (deadLetter != null) {
                report.count(AuditReport.DEAD_LETTERED);
            } else if (key != null && (purgedKeys.contains(key) || purged(record))) {
                report.count(AuditReport.PURGED);
                remember(key);
                add(report.purged, finding(record, key, "claim purged"));
            } else {
                report.count(AuditReport.LOST);
                add(report.lost, finding(record, key, key == null
                        ? "no dedup key could be read, yet the record was not dead-lettered as INVALID"
                        : "key not claimed, record not dead-lettered"));
            }
            return;
        }
        if (!claim.sameFingerprint(fingerprint.of(record))) {
            report.count(AuditReport.CONFLICT);
            add(report.conflicts, new AuditReport.Conflict(record.partition(), record.offset(), claim.key(),
                    claim.coordinates(), deadLetter == null ? null : deadLetter.coordinates(deadLetterTopic)));
        } else if (claim.claimedAt(record.topic(), record.partition(), record.offset())) {
            report.count(AuditReport.CLAIMED);
        } else {
            report.count(AuditReport.DUPLICATE);
        }
    }

    private void remember(String key) {
        if (purgedKeys.size() < REMEMBERED_PURGED_KEYS) {
            purgedKeys.add(key);
        } else if (!purgedKeys.contains(key) && !purgedKeysOverflowed) {
            purgedKeysOverflowed = true;
            report.notes.add("more than " + REMEMBERED_PURGED_KEYS + " keys were purged: a later re-send of one the "
                    + "audit no longer remembers counts as lost, not purged (both are violations)");
        }
    }

    private boolean purged(ConsumerRecord<byte[], byte[]> record) {
        Long lowest = lowestClaimed.get(record.partition());
        return purgeBound != null && Instant.ofEpochMilli(record.timestamp()).isBefore(purgeBound)
                && (lowest == null || record.offset() < lowest);
    }

    /** The record's dedup key as the consumer derived it, or {@code null} when it has none it could read. */
    static @Nullable String keyOf(DedupKey keys, ConsumerRecord<byte[], byte[]> record) {
        try {
            String key = keys.of(record);
            return key == null || key.isEmpty() ? null : key;
        } catch (Exception e) {
            return null;
        }
    }

    private static AuditReport.Finding finding(ConsumerRecord<?, ?> record, @Nullable String key, String why) {
        return new AuditReport.Finding(record.partition(), record.offset(), key,
                Instant.ofEpochMilli(record.timestamp()), why);
    }

    private <T> void add(List<T> findings, T finding) {
        if (findings.size() < limit) {
            findings.add(finding);
        }
    }
}
