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

    @Option(names = "--chunk", paramLabel = "RECORDS", defaultValue = "5000",
            description = "Records classified at once: the memory bound (default: ${DEFAULT-VALUE}).")
    private int chunk;

    @Mixin
    private ReportOptions output;

    @Override
    public Integer call() throws Exception {
        kafka.validate();
        settings.validate();
        output.validate();
        if (chunk < 1) {
            throw new ParameterException(spec.commandLine(), "--chunk must be 1 or more");
        }
        PrintWriter err = spec.commandLine().getErr();
        AuditReport result = new AuditReport();
        result.settings = settings.describe(kafka);
        result.auditedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Map<Integer, Long> committed = committedOffsets();
        try (Connection connection = settings.connect()) {
            ClaimTable table = new ClaimTable(connection, settings.table(), settings.consumerName(kafka.group()));
            DeadLetters deadLetters = DeadLetters.readIfPresent(kafka, err, output.progressInterval(), result.notes);
            result.deadLetters = deadLetters.size();
            result.claims = table.countByOutcome();
            Instant[] times = table.claimTimes();
            if (times != null) {
                result.oldestClaim = times[0];
                result.newestClaim = times[1];
            }
            try (TopicReader reader = new TopicReader(kafka.readerProperties(), kafka.topic())) {
                Audit audit = new Audit(table, settings.key().key(), committed, deadLetters,
                        kafka.deadLetterTopic(), table.lowestClaimedOffsets(kafka.topic()),
                        Audit.purgeBound(result.oldestClaim, retention, result.auditedAt), output.limit(), result);
                audit.run(reader, chunk, err, output.progressInterval());
            }
            if (sinceReplay != null) {
                result.replayStarted = sinceReplay;
                result.appliedAnew = table.countSince(kafka.topic(), sinceReplay);
                for (Claim c : table.listSince(kafka.topic(), sinceReplay, output.limit())) {
                    result.appliedSinceReplay.add(new AuditReport.Pending(c.key(), c.partition(), c.offset(),
                            c.outcome(), c.processedAt()));
                }
            }
        }
        long unresolved = result.conflicts.stream().filter(c -> c.deadLetter() == null).count();
        long lost = result.total(AuditReport.LOST);
        long purged = result.total(AuditReport.PURGED);
        result.violations = lost + purged + unresolved + result.appliedAnew;
        if (result.violations > 0) {
            result.result = lost + " lost, " + purged + " purged while the topic holds them, " + unresolved
                    + " conflict(s) consumed without a dead letter, " + result.appliedAnew + " applied anew";
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.println(mapper().writeValueAsString(result));
            out.flush();
        } else {
            result.printHuman(out);
        }
        return result.violations == 0 ? DedupAuditCommand.OK : DedupAuditCommand.VIOLATIONS;
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

    static ObjectMapper mapper() {
        return new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }
}
