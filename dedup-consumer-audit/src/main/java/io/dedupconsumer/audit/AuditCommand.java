package io.dedupconsumer.audit;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code dedup-audit audit}: did the consumer lose anything, would a redelivery apply anything again, what is done
 * but not committed, which keys conflict. Streams the topic to the end offsets it has when the audit begins, a chunk
 * at a time, so that a topic of any size is audited in the memory of one chunk (plus one entry per dead letter).
 */
@Command(name = "audit", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Reports lost records (must be 0), claims not yet committed, conflicts and their dead letters, "
                + "purged keys the topic still holds, counts by outcome. Exit 0 ok, 1 violations, 2 usage, 3 could "
                + "not run.")
final class AuditCommand implements Callable<Integer> {

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaSettings kafka;

    @Mixin
    private ConsumerSettings settings;

    @Option(names = "--retention", paramLabel = "DURATION",
            description = "The consumer's dedup retention (ISO-8601, e.g. P7D): a key absent from the table counts "
                    + "as purged, not lost, only if its record is older than this window.")
    private @Nullable Duration retention;

    @Option(names = "--since-replay", paramLabel = "INSTANT",
            description = "When a replay began (as 'replay' printed it): every claim written since is a record the "
                    + "replay applied anew, a violation; audit a topic no new records arrive on meanwhile.")
    private @Nullable Instant sinceReplay;

    @Option(names = "--json", description = "Print the report as JSON instead of a table.")
    private boolean json;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Findings listed per kind; counts are always complete (default: ${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--chunk", paramLabel = "RECORDS", defaultValue = "5000",
            description = "Records classified at once: the memory bound (default: ${DEFAULT-VALUE}).")
    private int chunk;

    @Option(names = "--progress-interval", defaultValue = "PT10S", paramLabel = "DURATION",
            description = "How often progress is written to stderr (default: ${DEFAULT-VALUE}).")
    private Duration progressInterval;

    @Override
    public Integer call() throws Exception {
        kafka.validate();
        settings.validate();
        if (limit < 0 || chunk < 1) {
            throw new ParameterException(spec.commandLine(), "--limit must be 0 or more and --chunk 1 or more");
        }
        PrintWriter err = spec.commandLine().getErr();
        AuditReport report = new AuditReport();
        report.settings = settings.describe(kafka);
        report.auditedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Map<Integer, Long> committed = committedOffsets();
        try (Connection connection = settings.connect()) {
            ClaimTable table = new ClaimTable(connection, settings.table(), settings.consumerName(kafka.group()));
            DeadLetters deadLetters = deadLetters(report, err);
            report.deadLetters = deadLetters.size();
            report.claims = table.countByOutcome();
            Instant[] times = table.claimTimes();
            if (times != null) {
                report.oldestClaim = times[0];
                report.newestClaim = times[1];
            }
            try (TopicReader reader = new TopicReader(kafka.readerProperties(), kafka.topic())) {
                Audit audit = new Audit(table, settings.key().key(), committed, deadLetters,
                        kafka.deadLetterTopic(), table.lowestClaimedOffsets(kafka.topic()),
                        Audit.purgeBound(report.oldestClaim, retention, report.auditedAt), limit, report);
                audit.run(reader, chunk, err, progressInterval);
            }
            if (sinceReplay != null) {
                report.replayStarted = sinceReplay;
                report.appliedAnew = table.countSince(kafka.topic(), sinceReplay);
                for (Claim c : table.listSince(kafka.topic(), sinceReplay, limit)) {
                    report.appliedSinceReplay.add(new AuditReport.Pending(c.key(), c.partition(), c.offset(),
                            c.outcome(), c.processedAt()));
                }
            }
        }
        long unresolved = report.conflicts.stream().filter(c -> c.deadLetter() == null).count();
        long lost = report.total(AuditReport.LOST);
        long purged = report.total(AuditReport.PURGED);
        report.violations = lost + purged + unresolved + report.appliedAnew;
        if (report.violations > 0) {
            report.result = lost + " lost, " + purged + " purged while the topic holds them, " + unresolved
                    + " conflict(s) consumed without a dead letter, " + report.appliedAnew + " applied anew";
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(mapper().writeValueAsString(report));
            out.flush();
        } else {
            report.printHuman(out);
        }
        return report.violations == 0 ? DedupAuditCommand.OK : DedupAuditCommand.VIOLATIONS;
    }

    private Map<Integer, Long> committedOffsets() throws Exception {
        Map<Integer, Long> committed = new HashMap<>();
        try (Admin admin = Admin.create(kafka.properties())) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(kafka.group())
                    .partitionsToOffsetAndMetadata().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            offsets.forEach((p, o) -> {
                if (o != null && p.topic().equals(kafka.topic())) {
                    committed.put(p.partition(), o.offset());
                }
            });
        }
        return committed;
    }

    private DeadLetters deadLetters(AuditReport report, PrintWriter err) throws Exception {
        TopicReader reader;
        try {
            reader = new TopicReader(kafka.readerProperties(), kafka.deadLetterTopic());
        } catch (IllegalStateException e) {
            report.notes.add("no dead-letter topic " + kafka.deadLetterTopic() + ": no record counts as "
                    + "dead-lettered (give --dead-letter-topic if the consumer names it otherwise)");
            return DeadLetters.none(kafka.topic());
        }
        try (reader) {
            DeadLetters letters = DeadLetters.read(reader, kafka.topic(), kafka.group(), err, progressInterval);
            if (letters.ignored() > 0) {
                report.notes.add(letters.ignored() + " dead letter(s) on " + kafka.deadLetterTopic() + " stand for "
                        + "another topic or group, or lack the kafka_dlt-original-* headers, and were left out");
            }
            return letters;
        }
    }

    static ObjectMapper mapper() {
        return new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }
}
