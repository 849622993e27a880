package io.dedupconsumer.audit;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dedup-audit replay}: moves a group's committed offsets of the topic back, to its first records or to a
 * time, so that the consumer reads them again and proves, with its dedup table, that nothing is applied twice. Or it
 * starts a new group (name one that does not exist) under the same dedup consumer name.
 *
 * <p>It refuses while the group has members: a running consumer would overwrite the offsets with its next commit,
 * or, worse, keep consuming from its old positions while an operator believes it replays. Without {@code --yes} it
 * only shows what it would do.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Resets the group's offsets of the topic to the earliest record or to a time (the group must "
                + "have no active member); shows the plan unless --yes.")
final class ReplayCommand implements Callable<Integer> {

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaSettings kafka;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Target target;

    @Option(names = "--yes", description = "Reset the offsets; without it, only the plan is shown.")
    private boolean yes;

    /** Where the replay starts. */
    static final class Target {
        @Option(names = "--to-earliest", required = true, description = "From the first record each partition holds.")
        boolean earliest;

        @Option(names = "--to-time", required = true, paramLabel = "INSTANT",
                description = "From the first record at or after this time (ISO-8601, e.g. 2026-12-04T10:00:00Z).")
        @Nullable Instant time;
    }

    @Override
    public Integer call() throws Exception {
        kafka.validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Admin admin = Admin.create(kafka.properties())) {
            Collection<MemberDescription> members = members(admin);
            if (!members.isEmpty()) {
                err.printf("dedup-audit: refusing to replay: group %s has %d active member(s) (%s); stop the "
                        + "consumers first, or replay under a new group%n", kafka.group(), members.size(),
                        members.stream().map(m -> m.clientId() + "@" + m.host()).collect(Collectors.joining(", ")));
                err.flush();
                return DedupAuditCommand.BROKEN;
            }
            Map<TopicPartition, Long> from = targets(admin);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(kafka.group())
                    .partitionsToOffsetAndMetadata().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Instant started = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            out.printf("replay of topic %s for group %s from %s%n", kafka.topic(), kafka.group(),
                    target.earliest ? "the earliest offsets" : target.time);
            out.printf("%-9s %12s %12s%n", "partition", "committed", "replay from");
            for (Map.Entry<TopicPartition, Long> e : from.entrySet()) {
                OffsetAndMetadata now = committed.get(e.getKey());
                out.printf("%-9d %12s %12d%n", e.getKey().partition(), now == null ? "-" : now.offset(), e.getValue());
            }
            if (!yes) {
                out.println("nothing changed: add --yes to reset the offsets");
                out.flush();
                return DedupAuditCommand.OK;
            }
            Map<TopicPartition, OffsetAndMetadata> reset = new HashMap<>();
            from.forEach((p, o) -> reset.put(p, new OffsetAndMetadata(o)));
            // the broker refuses too while the group has members (GroupNotEmptyException): a member that joined
            // since the check above cannot be overrun
            admin.alterConsumerGroupOffsets(kafka.group(), reset).all()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            out.printf("offsets reset. Start the consumer; once it has caught up, run audit with --since-replay %s "
                    + "(a claim written since is a record the replay applied anew)%n", started);
            out.flush();
            return DedupAuditCommand.OK;
        }
    }

    private Collection<MemberDescription> members(Admin admin) throws Exception {
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(kafka.group()))
                    .describedGroups().get(kafka.group()).get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return group.members();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of();
            }
            throw e;
        }
    }

    /** The offset each partition replays from; a time after a partition's last record is its end. */
    private Map<TopicPartition, Long> targets(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        admin.describeTopics(List.of(kafka.topic())).allTopicNames()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(kafka.topic()).partitions()
                .forEach(p -> {
                    TopicPartition tp = new TopicPartition(kafka.topic(), p.partition());
                    specs.put(tp, target.earliest ? OffsetSpec.earliest()
                            : OffsetSpec.forTimestamp(target.time.toEpochMilli()));
                    ends.put(tp, OffsetSpec.latest());
                });
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found = admin.listOffsets(specs).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(ends).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> from = new TreeMap<>((a, b) -> Integer.compare(a.partition(), b.partition()));
        found.forEach((p, info) -> from.put(p, info.offset() >= 0 ? info.offset() : end.get(p).offset()));
        return from;
    }
}
