package io.dedupconsumer.audit;

import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.jdbc.PurgeResult;
import io.dedupconsumer.kafka.RetentionGuard;
import io.dedupconsumer.kafka.TopicRetention;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code dedup-audit purge}: runs the library's own retention ({@link DedupRetention}) once, from the command line,
 * after showing what it would delete, and only with a window the topics allow.
 *
 * <p>Why the check: a claim deleted while its topic still holds its record is forgotten too early; a redelivery or a
 * replay would apply that record again. So the window must be at least the {@code retention.ms} of every topic the due
 * claims came from (and of {@code --topic}), compared as the library's {@link RetentionGuard} and
 * {@link TopicRetention} compare them; a shorter window is refused (exit 2), before anything is deleted.
 *
 * <p>Why the table and not the consumer: the library's retention deletes the old claims of every consumer of the
 * table, and this command is that retention, not another one: the plan shows which consumers' claims go.
 */
@Command(name = "purge", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows (--dry-run) or runs (--yes) the library's retention: deletes the claims older than "
                + "--older-than, refusing a window shorter than the topics' retention.ms.")
final class PurgeCommand implements Callable<Integer> {

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaSettings kafka;

    @Mixin
    private ConsumerSettings settings;

    @Option(names = "--older-than", paramLabel = "DURATION", required = true,
            description = "The retention window, as the library's DedupRetention takes it (e.g. P7D): claims processed "
                    + "longer ago, by the database's clock, are deleted. At least the topics' retention.ms.")
    private Duration window;

    @Option(names = "--dry-run", description = "Show what would be deleted; delete nothing.")
    private boolean dryRun;

    @Option(names = "--yes", description = "Delete. Without it, the plan is shown and nothing is deleted.")
    private boolean yes;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1000",
            description = "Claims deleted per statement and transaction (default: ${DEFAULT-VALUE}).")
    private int batchSize;

    @Mixin
    private ReportOptions output;

    @Override
    public Integer call() throws Exception {
        kafka.validate();
        settings.validate();
        output.validate();
        if (dryRun && yes) {
            throw new ParameterException(spec.commandLine(), "--dry-run and --yes are alternatives; give one");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (DedupRetention retention = retention()) {
            Instant cutoff = retention.cutoff();
            List<ClaimTable.Due> due;
            Set<String> topics = new LinkedHashSet<>(List.of(kafka.topic()));
            try (Connection connection = settings.connect()) {
                ClaimTable table = new ClaimTable(connection, settings.table(), settings.consumerName(kafka.group()));
                due = cutoff.equals(Instant.MIN) ? List.of() : table.dueBefore(cutoff);
                if (!cutoff.equals(Instant.MIN)) {
                    topics.addAll(table.sourceTopicsBefore(cutoff));
                }
            }
            List<TopicRetention> retentions = retentions(topics);
            List<String> refusals = refusals(topics, retentions);
            Map<String, Object> result = plan(cutoff, due, retentions);
            if (!refusals.isEmpty()) {
                err.println("dedup-audit purge: refused, nothing deleted: " + String.join("; ", refusals) + ". A purge "
                        + "with this window can delete the claims of records the topic still holds, and a redelivery "
                        + "or a replay would apply them again.");
                err.flush();
                return DedupAuditCommand.USAGE;
            }
            PurgeResult deleted = null;
            if (yes) {
                deleted = retention.purgeOnce();
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("claims", deleted.deleted());
                fields.put("batches", deleted.batches());
                fields.put("cutoff", deleted.cutoff());
                fields.put("complete", deleted.complete());
                fields.put("millis", deleted.duration().toMillis());
                result.put("deleted", fields);
            } else {
                result.put("deleted", null);
            }
            if (output.json()) {
                out.println(AuditCommand.mapper().writeValueAsString(result));
            } else {
                print(out, cutoff, due, retentions, deleted);
            }
            out.flush();
            return DedupAuditCommand.OK;
        }
    }

    private DedupRetention retention() {
        try {
            return DedupRetention.builder().dataSource(settings.writableDataSource()).table(settings.table())
                    .window(window).batchSize(batchSize).meterRegistry(new SimpleMeterRegistry()).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), (e.getMessage().startsWith("window") ? "--older-than"
                    : "--batch-size") + e.getMessage().substring(e.getMessage().indexOf(':')));
        }
    }

    /**
     * The topics' retention, read by the library's guard. It is asked with a window longer than any retention and with
     * infinite retention accepted, so that it fails only when it cannot read a configuration (exit 3); the comparison
     * with {@code --older-than} is this command's, with the guard's own {@link TopicRetention#coverage(Duration)}.
     */
    private List<TopicRetention> retentions(Set<String> topics) {
        try (Admin admin = Admin.create(kafka.properties())) {
            return RetentionGuard.builder().admin(admin).window(ChronoUnit.FOREVER.getDuration())
                    .acceptInfiniteRetention(true).timeout(ADMIN_TIMEOUT).build().check(topics);
        }
    }

    private List<String> refusals(Set<String> topics, List<TopicRetention> retentions) {
        List<String> refusals = new ArrayList<>();
        Set<String> unchecked = new LinkedHashSet<>(topics);
        for (TopicRetention topic : retentions) {
            unchecked.remove(topic.topic());
            if (topic.coverage(window) != TopicRetention.Coverage.TOO_SHORT) {
                continue;
            }
            if (topic.infinite()) {
                refusals.add("topic " + topic.topic() + " keeps records forever (" + topic.describe() + "), so no "
                        + "window is safe: give it a retention.ms first, or keep its claims");
            } else {
                refusals.add("the window --older-than " + window + " is shorter than the retention of topic "
                        + topic.topic() + " (" + topic.describe() + "): give --older-than " + topic.retention() + " or longer ("
                        + topic.safeWindow() + " outlives a slowly filled segment too), or shorten the topic's "
                        + "retention.ms first");
            }
        }
        for (String topic : unchecked) {
            refusals.add("topic " + topic + " does not exist on this cluster, so its retention cannot be compared "
                    + "with the window: give --bootstrap-servers of the cluster that holds it");
        }
        return refusals;
    }

    private Map<String, Object> plan(Instant cutoff, List<ClaimTable.Due> due, List<TopicRetention> retentions) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("settings", settings.describe(kafka));
        result.put("window", window.toString());
        result.put("cutoff", cutoff.equals(Instant.MIN) ? null : cutoff);
        result.put("dryRun", !yes);
        List<Map<String, Object>> topics = new ArrayList<>();
        for (TopicRetention t : retentions) {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("topic", t.topic());
            fields.put("retentionMs", t.retentionMs());
            fields.put("segmentMs", t.segmentMs());
            fields.put("cleanupPolicy", t.cleanupPolicy());
            fields.put("coverage", t.coverage(window));
            topics.add(fields);
        }
        result.put("topics", topics);
        Map<String, Long> byOutcome = new LinkedHashMap<>();
        Map<String, Long> byConsumer = new LinkedHashMap<>();
        for (ClaimTable.Due d : due) {
            byOutcome.merge(d.outcome(), d.count(), Long::sum);
            byConsumer.merge(d.consumer(), d.count(), Long::sum);
        }
        result.put("due", due.stream().mapToLong(ClaimTable.Due::count).sum());
        result.put("dueByOutcome", byOutcome);
        result.put("dueByConsumer", byConsumer);
        result.put("oldestDue", due.stream().map(ClaimTable.Due::oldest).min(Instant::compareTo).orElse(null));
        result.put("newestDue", due.stream().map(ClaimTable.Due::newest).max(Instant::compareTo).orElse(null));
        return result;
    }

    private void print(PrintWriter out, Instant cutoff, List<ClaimTable.Due> due, List<TopicRetention> retentions,
            @Nullable PurgeResult deleted) {
        out.printf("purge of table %s with the window %s (the library's retention: every consumer's claims older "
                + "than the window)%n", settings.table(), window);
        for (TopicRetention t : retentions) {
            TopicRetention.Coverage coverage = t.coverage(window);
            out.printf("topic %s: %s: %s%n", t.topic(), t.describe(), coverage == TopicRetention.Coverage.COVERED
                    ? "the window outlives its records"
                    : "the window is at least retention.ms but shorter than retention.ms + segment.ms = "
                            + t.safeWindow() + ": a record of a slowly filled segment can outlive its claim");
        }
        if (cutoff.equals(Instant.MIN)) {
            out.println("the window reaches back before the year 1000: every claim is kept");
        } else {
            out.printf("due: claims processed before %s (the database's clock): %d%n", cutoff,
                    due.stream().mapToLong(ClaimTable.Due::count).sum());
        }
        if (!due.isEmpty()) {
            out.printf("  %-30s %-10s %10s  %-24s  %s%n", "consumer", "outcome", "claims", "oldest", "newest");
            for (ClaimTable.Due d : due) {
                out.printf("  %-30s %-10s %10d  %-24s  %s%n", d.consumer(), d.outcome(), d.count(), d.oldest(),
                        d.newest());
            }
        }
        if (deleted != null) {
            out.printf("deleted %d claims processed before %s in %d batches of at most %d, %d ms%s%n",
                    deleted.deleted(), deleted.cutoff(), deleted.batches(), batchSize, deleted.duration().toMillis(),
                    deleted.complete() ? "" : " (stopped early: run it again for the rest)");
        } else if (dryRun) {
            out.println("nothing deleted: a dry run");
        } else {
            out.println("nothing deleted: add --yes to delete them");
        }
    }
}
