package io.dedupconsumer.audit;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What an audit found, in the shape {@code --json} prints (its field names are the JSON's) and the human table reads.
 * Counts cover every record read; the lists of findings stop at the {@code --limit} of each kind, so that the report
 * of a large incident stays readable and bounded.
 */
final class AuditReport {

    /** A record of the topic, named by its coordinates and key. */
    record Finding(int partition, long offset, @Nullable String key, Instant timestamp, String why) {
    }

    /** A record whose key was claimed with another payload. */
    record Conflict(int partition, long offset, String key, String claimedAt, @Nullable String deadLetter) {
    }

    /** A claim whose source offset is at or after the group's committed offset: done, not yet committed. */
    record Pending(String key, int partition, long offset, String outcome, Instant processedAt) {
    }

    /** One partition: its range when the audit began, the group's committed offset, and what waits. */
    record PartitionState(int partition, long beginning, long end, @Nullable Long committed, long waiting,
            long claimsNotCommitted) {
    }

    Map<String, Object> settings = new LinkedHashMap<>();
    Instant auditedAt = Instant.EPOCH;
    List<PartitionState> partitions = new ArrayList<>();
    /** Records read, by what they amounted to, every category present. */
    Map<String, Long> records = new LinkedHashMap<>();
    /** Claims of the consumer in the table, by outcome. */
    Map<String, Long> claims = new LinkedHashMap<>();
    @Nullable Instant oldestClaim;
    @Nullable Instant newestClaim;
    int deadLetters;
    List<Finding> lost = new ArrayList<>();
    List<Finding> purged = new ArrayList<>();
    List<Conflict> conflicts = new ArrayList<>();
    List<Pending> notCommitted = new ArrayList<>();
    /** With {@code --since-replay}: when the replay began, and the claims written since (applied anew). */
    @Nullable Instant replayStarted;
    long appliedAnew;
    List<Pending> appliedSinceReplay = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    long violations;
    String result = "OK";

    static final String CLAIMED = "claimed";
    static final String DUPLICATE = "duplicate";
    static final String CONFLICT = "conflict";
    static final String DEAD_LETTERED = "dead-lettered";
    static final String WAITING = "waiting";
    static final String LOST = "lost";
    static final String PURGED = "purged";

    AuditReport() {
        for (String category : List.of(CLAIMED, DUPLICATE, CONFLICT, DEAD_LETTERED, WAITING, LOST, PURGED)) {
            records.put(category, 0L);
        }
    }

    void count(String what) {
        records.merge(what, 1L, Long::sum);
    }

    long total(String what) {
        return records.getOrDefault(what, 0L);
    }

    void printHuman(PrintWriter out) {
        out.printf("dedup-audit of topic %s, consumer '%s' (group %s), key %s, table %s, dead letters %s%n",
                settings.get("topic"), settings.get("consumerName"), settings.get("group"), settings.get("key"),
                settings.get("table"), settings.get("deadLetterTopic"));
        out.printf("audited at %s, up to the end offsets of that moment%n%n", auditedAt);
        out.printf("%-9s %12s %12s %12s %10s %14s%n", "partition", "first", "end", "committed", "waiting",
                "not committed");
        for (PartitionState p : partitions) {
            out.printf("%-9d %12d %12d %12s %10d %14d%n", p.partition(), p.beginning(), p.end(),
                    p.committed() == null ? "-" : p.committed().toString(), p.waiting(), p.claimsNotCommitted());
        }
        out.println();
        out.println("records   " + join(records));
        out.println("claims    " + join(claims) + (oldestClaim == null ? ", none"
                : ", oldest " + oldestClaim + ", newest " + newestClaim));
        out.println("dead letters for this topic and group: " + deadLetters);
        section(out, "LOST: consumed (below the committed offset) but neither claimed nor dead-lettered",
                total(LOST), lost, f -> f.partition() + "@" + f.offset() + "  key " + f.key()
                        + "  " + f.timestamp() + "  " + f.why());
        section(out, "PURGED: the topic still holds them, the table no longer: a redelivery or replay would apply "
                + "them again", total(PURGED), purged,
                f -> f.partition() + "@" + f.offset() + "  key " + f.key() + "  " + f.timestamp());
        section(out, "CONFLICTS: the key was claimed with another payload", total(CONFLICT),
                conflicts, c -> c.partition() + "@" + c.offset() + "  key " + c.key() + "  claimed at " + c.claimedAt()
                        + "  " + (c.deadLetter() != null ? "dead-lettered at " + c.deadLetter() : "NOT dead-lettered"));
        long pending = partitions.stream().mapToLong(PartitionState::claimsNotCommitted).sum();
        section(out, "NOT COMMITTED: claimed at or after the committed offset (they would come back as DUPLICATE)",
                pending, notCommitted, c -> c.partition() + "@" + c.offset() + "  key " + c.key() + "  "
                        + c.outcome() + "  " + c.processedAt());
        if (replayStarted != null) {
            out.println();
            out.println("since the replay began at " + replayStarted + ": " + appliedAnew + " claim(s) written"
                    + (appliedAnew == 0 ? ", nothing applied anew" : " (APPLIED ANEW)"));
            for (Pending c : appliedSinceReplay) {
                out.println("  " + c.partition() + "@" + c.offset() + "  key " + c.key() + "  " + c.outcome() + "  "
                        + c.processedAt());
            }
        }
        for (String note : notes) {
            out.println();
            out.println("note: " + note);
        }
        out.println();
        out.println(violations == 0 ? "RESULT: OK, nothing lost, purged too early, left without a dead letter or applied anew"
                : "RESULT: " + violations + " VIOLATION(S): " + result);
        out.flush();
    }

    private static <T> void section(PrintWriter out, String title, long total, List<T> items,
            Function<T, String> line) {
        if (total == 0) {
            return;
        }
        out.println();
        out.println(title + ": " + total + (items.size() < total ? " (first " + items.size() + " listed)" : ""));
        for (T item : items) {
            out.println("  " + line.apply(item));
        }
    }

    private static String join(Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return "none";
        }
        StringBuilder s = new StringBuilder();
        counts.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
        return s.toString();
    }
}
