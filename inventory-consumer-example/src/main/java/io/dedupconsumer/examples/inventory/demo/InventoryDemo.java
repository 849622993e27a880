package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The demo, end to end: seeds stock, produces a workload full of duplicates, conflicts and bad events, consumes it with
 * the deduplicated inventory service, replays the whole topic under a new consumer group, and prints a verification
 * table against a model computed from the unique events. Exits non-zero if any invariant fails, so it can gate a build.
 *
 * <p>By default everything runs in this JVM (an in-process KRaft broker, H2 in memory); the same run goes against an
 * external Kafka and MySQL/MariaDB or PostgreSQL by configuration alone. {@code --help} lists the options.
 */
public final class InventoryDemo {

    /** Every invariant held. */
    static final int PASSED = 0;
    /** An invariant failed; the table says which. */
    static final int FAILED = 1;
    /** The options were wrong. */
    static final int USAGE = 2;
    /** The demo could not run (broker or database unreachable, ...). */
    static final int BROKEN = 3;

    private static final Logger log = LoggerFactory.getLogger(InventoryDemo.class);

    private final DemoOptions options;
    private final PrintStream out;
    private final Consumer<JdbcTemplate> beforeVerify;

    InventoryDemo(DemoOptions options, PrintStream out, Consumer<JdbcTemplate> beforeVerify) {
        this.options = options;
        this.out = out;
        this.beforeVerify = beforeVerify;
    }

    /** Runs the demo and exits with its result (see {@link DemoOptions#USAGE}). */
    public static void main(String[] args) {
        int exitCode;
        try {
            exitCode = run(System.out, args).exitCode();
        } catch (Throwable e) { // an Error too: the broker's threads would otherwise keep the JVM alive
            e.printStackTrace();
            exitCode = BROKEN;
        }
        System.exit(exitCode);
    }

    /** Runs the demo; returns its exit code and verdict. */
    static DemoResult run(PrintStream out, String... args) {
        if (List.of(args).contains("--help")) {
            out.println(DemoOptions.USAGE);
            return DemoResult.without(PASSED);
        }
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
            out.println(DemoOptions.USAGE);
            return DemoResult.without(USAGE);
        }
        return new InventoryDemo(options, out, jdbc -> { }).run();
    }

    /** Runs the demo with these options; returns its exit code and verdict. */
    DemoResult run() {
        String runId = runId();
        try {
            return run(runId);
        } catch (RuntimeException e) {
            log.error("the demo could not run", e);
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            out.println("\nVERDICT: BROKEN - the demo could not run: " + cause + (cause == e ? "" : " (" + e.getClass()
                    .getSimpleName() + ")"));
            return DemoResult.without(BROKEN);
        }
    }

    private DemoResult run(String runId) {
        long started = System.nanoTime();
        Workload shape = Workload.generate(options, runId);
        Map<Workload.Kind, Integer> kinds = shape.counts();
        out.printf("Inventory demo: run %s, seed %d, listeners %s%n", runId, options.seed(),
                String.join(" then ", options.listeners()));
        out.printf("  workload  %d records: %d unique events on %d SKUs (%d units each), %d re-sent duplicates, "
                + "%d same-id conflicts, %d bad (%d unknown SKU, %d malformed, %d without a usable event id)%n",
                shape.records().size(), kinds.get(Workload.Kind.EVENT), shape.skus().size(), shape.initialStock(),
                kinds.get(Workload.Kind.DUPLICATE), kinds.get(Workload.Kind.CONFLICT),
                kinds.get(Workload.Kind.UNKNOWN_SKU) + kinds.get(Workload.Kind.MALFORMED) + kinds.get(Workload.Kind.NO_KEY),
                kinds.get(Workload.Kind.UNKNOWN_SKU), kinds.get(Workload.Kind.MALFORMED), kinds.get(Workload.Kind.NO_KEY));

        try (DemoInfrastructure infrastructure = DemoInfrastructure.start(options, runId);
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        infrastructure.bootstrapServers(), AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000))) {
            out.printf("  kafka     %s%n", infrastructure.describeKafka());
            out.printf("  database  %s%n", infrastructure.describeDatabase());
            out.printf("  (the log lines of each conflict, invalid record and dead letter are quieted, the tables count "
                    + "them; --logging.level.io.dedupconsumer=INFO shows them)%n");
            Topics topics = new Topics(admin);
            topics.requireReachable(infrastructure.bootstrapServers());
            List<Run> runs = new ArrayList<>();
            for (String listener : options.listeners()) {
                // one run id per listener: its own topic, SKUs, event ids and consumer name, on the same broker and database
                String id = options.listeners().size() == 1 ? runId : runId + listener.charAt(0);
                runs.add(run(listener, id, infrastructure, topics));
            }
            out.printf("%nSUMMARY  records/s from the first record sent (live pass, the group already assigned) or from "
                    + "the instance's start (replay, its group joining meanwhile) to the last offset committed%n");
            out.printf("  %-8s %-44s %-32s %s%n", "LISTENER", "LIVE PASS", "REPLAY", "VERDICT");
            for (Run run : runs) {
                out.printf("  %-8s %-44s %-32s %s%n", run.listener(), run.live().describe(), run.replay().describe(),
                        run.verdict().passed() ? "PASSED" : "FAILED");
            }
            out.printf("  %.1f s in all%n", seconds(started));
            return DemoResult.of(runs.stream().map(Run::verdict).toList());
        }
    }

    /** One whole demo with one of the service's listeners: live pass, replay, verification. */
    private Run run(String listener, String runId, DemoInfrastructure infrastructure, Topics topics) {
        String consumerName = "inventory-demo-" + runId;
        String topic = "stock-events-" + runId;
        Workload workload = Workload.generate(options, runId);
        Expectation expected = Expectation.of(workload);
        Map<Workload.Kind, Integer> kinds = workload.counts();
        out.printf("%n=== listener %s (%s): run %s%n", listener, listener.equals("batch")
                ? "the throughput mode: one transaction and one JDBC batch per poll" : "one transaction per record", runId);
        out.printf("  topic     %s (%d partitions, keyed by SKU), dead letters to %s-dlt%n", topic,
                options.partitions(), topic);
        out.printf("  consumer  dedup consumer name %s, key = the JSON field eventId%n", consumerName);
        List<String> common = commonArgs(infrastructure, topic, consumerName, listener);
        topics.create(List.of(topic, topic + "-dlt"), options.partitions());
        int consumers = options.instances() * options.concurrency();

        out.printf("[1/4] starting %d instance(s) of the inventory service (group %s-live, %d listener thread(s) "
                + "each)%n", options.instances(), consumerName, options.concurrency());
        List<InventoryInstance> live = new ArrayList<>();
        long recordsInTopic;
        Topics.Progress consumed;
        try {
            for (int i = 1; i <= options.instances(); i++) {
                live.add(InventoryInstance.start(instanceArgs(common, consumerName + "-live", "live-" + i)));
            }
            seed(live.get(0).jdbc(), workload);
            out.printf("      seeded %d SKUs with %d units each%n", workload.skus().size(), workload.initialStock());
            topics.awaitAssigned(consumerName + "-live", topic, options.partitions(), consumers, options.timeout());

            out.printf("[2/4] producing %d records%n", workload.records().size());
            long passStart = System.nanoTime();
            produce(infrastructure.bootstrapServers(), topic, workload);
            recordsInTopic = topics.endOffsets(topic);

            out.printf("[3/4] consuming with the deduplicated %s listener%n", listener);
            consumed = topics.await("live", consumerName + "-live", topic, recordsInTopic, passStart,
                    options.timeout(), options.progressEvery(), out);
        } finally {
            live.forEach(InventoryInstance::close);
        }
        Map<Outcome, Long> liveOutcomes = sum(live, consumerName);
        long deadLettered = topics.endOffsets(topic + "-dlt");
        out.printf("      %d/%d records, %s: %s, %d dead-lettered%n", consumed.done(), recordsInTopic,
                consumed.describe(), liveOutcomes, deadLettered);
        Snapshot.Pass livePass = new Snapshot.Pass(consumed.done(), liveOutcomes, deadLettered);

        out.printf("[4/4] replaying the topic from the beginning (new group %s-replay, same dedup consumer name)%n",
                consumerName);
        try (InventoryInstance replay = InventoryInstance.start(instanceArgs(common, consumerName + "-replay",
                "replay"))) {
            // timed from the instance's start: its consumers join the group meanwhile, the first of them consuming
            long replayStart = System.nanoTime();
            Topics.Progress replayed = topics.await("replay", consumerName + "-replay", topic, recordsInTopic,
                    replayStart, options.timeout(), options.progressEvery(), out);
            Map<Outcome, Long> replayOutcomes = replay.outcomes(consumerName);
            long replayDeadLettered = topics.endOffsets(topic + "-dlt") - deadLettered;
            out.printf("      %d/%d records, %s: %s, %d dead-lettered%n", replayed.done(), recordsInTopic,
                    replayed.describe(), replayOutcomes, replayDeadLettered);
            Snapshot.Pass replayPass = new Snapshot.Pass(replayed.done(), replayOutcomes, replayDeadLettered);

            beforeVerify.accept(replay.jdbc());
            Snapshot actual = Snapshot.of(Snapshot.Database.read(replay.jdbc(), runId, consumerName),
                    recordsInTopic, livePass, replayPass,
                    DeadLetterCensus.read(infrastructure.bootstrapServers(), topic + "-dlt"));
            Verification verification = Verifier.verify(expected, actual, workload.initialStock());
            verification.print(out, String.format("%s listener: %d unique events each decided exactly once (%d "
                    + "applied, %d refused), %d re-sends and a replay of all %d records changed nothing", listener,
                    expected.claims(), expected.live().get(Outcome.PROCESSED), expected.live().get(Outcome.REJECTED),
                    kinds.get(Workload.Kind.DUPLICATE) + kinds.get(Workload.Kind.CONFLICT), recordsInTopic));
            return new Run(listener, consumed, replayed, verification.verdict());
        }
    }

    /** What one listener's demo measured and concluded. */
    private record Run(String listener, Topics.Progress live, Topics.Progress replay, Verification.Verdict verdict) {
    }

    private List<String> commonArgs(DemoInfrastructure infrastructure, String topic, String consumerName,
            String listener) {
        List<String> args = new ArrayList<>(options.springArgs());
        args.add("--inventory.listener=" + listener);
        args.add("--spring.kafka.bootstrap-servers=" + infrastructure.bootstrapServers());
        if (infrastructure.embeddedDatabase()) {
            args.add("--spring.datasource.url=" + infrastructure.datasourceUrl());
        }
        args.add("--inventory.topic=" + topic);
        args.add("--inventory.partitions=" + options.partitions());
        args.add("--inventory.concurrency=" + options.concurrency());
        args.add("--dedup.consumer-name=" + consumerName);
        if (options.springArgs().stream().noneMatch(arg -> arg.startsWith("--logging.level.io.dedupconsumer"))) {
            // one warning per conflict, invalid record and dead letter would bury the table; the table counts them
            args.add("--logging.level.io.dedupconsumer.core.Deduplicator=ERROR");
            args.add("--logging.level.io.dedupconsumer.examples.inventory.DeadLetters=ERROR");
            // the library logs each record it dead-letters (conflict, no event id) at ERROR
            args.add("--logging.level.io.dedupconsumer.spring.DedupErrorHandling=OFF");
            // spring-kafka logs each record a batch listener's error handler dead-letters at ERROR, with a stack trace
            args.add("--logging.level.org.springframework.kafka.listener.KafkaMessageListenerContainer=OFF");
        }
        return args;
    }

    private static List<String> instanceArgs(List<String> common, String group, String instance) {
        List<String> args = new ArrayList<>(common);
        args.add("--spring.kafka.consumer.group-id=" + group);
        args.add("--spring.kafka.client-id=" + group.replace("-live", "") + "-" + instance);
        return args;
    }

    private static void seed(JdbcTemplate jdbc, Workload workload) {
        List<Object[]> rows = new ArrayList<>();
        for (String sku : workload.skus()) {
            rows.add(new Object[] {sku, workload.initialStock()});
        }
        jdbc.batchUpdate("INSERT INTO stock (sku, available) VALUES (?, ?)", rows);
    }

    private void produce(String bootstrapServers, String topic, Workload workload) {
        long start = System.nanoTime();
        WorkloadProducer.send(bootstrapServers, topic, workload);
        out.printf("      %d records sent in %.1f s%n", workload.records().size(), seconds(start));
    }

    private static Map<Outcome, Long> sum(List<InventoryInstance> instances, String consumerName) {
        Map<Outcome, Long> total = new EnumMap<>(Outcome.class);
        for (InventoryInstance instance : instances) {
            instance.outcomes(consumerName).forEach((outcome, count) -> total.merge(outcome, count, Long::sum));
        }
        return total;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** A short id that keeps this run's topic, SKUs, event ids and consumer name apart from other runs'. */
    private static String runId() {
        String letters = "abcdefghijkmnpqrstuvwxyz";
        String alphabet = letters + "23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder().append(letters.charAt(random.nextInt(letters.length())));
        for (int i = 0; i < 4; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }
}
