package io.dedupconsumer.chaos;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.oracle.GroupOffsets;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The replay/verify command: re-consumes a stock events topic with the real inventory service (a new consumer group,
 * or an existing group whose offsets it resets once told {@code --yes}), from the beginning or from a point in time,
 * then checks every invariant against a model computed from the topic and prints a report. Exits 1 on any violation,
 * so it can gate a deployment or a build.
 *
 * <p>Why replay at all: a replay is the strongest test of the dedup claim a running system can get. Every record it
 * re-consumes must come back a duplicate (or the same conflict, the same dead letter), and the database must hold
 * exactly what the topic implies. Without {@code --bootstrap-servers} it needs nothing installed: it starts an
 * in-process Kafka broker and an H2 database, produces a seeded workload full of re-sends and conflicts, consumes it,
 * and replays it.
 */
@Command(name = "replay-verify", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {"Replays a stock events topic through the inventory service and verifies every invariant:",
            "stock per SKU equals the model, one ledger row per decided event, nothing lost (every event applied,",
            "refused with a recorded reason, or dead-lettered), no committed offset ahead of its effect."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every invariant holds", "1:an invariant is violated (the report says which)",
            "2:bad options, or a refused replay", "3:the command could not run (Kafka or database unreachable, ...)"})
public final class ReplayVerifyCommand implements Callable<Integer> {

    static final int PASSED = 0;
    static final int VIOLATED = 1;
    static final int USAGE = 2;
    static final int BROKEN = 3;

    private static final Logger log = LoggerFactory.getLogger(ReplayVerifyCommand.class);
    private static final int DEFAULT_GENERATED = 2_000;
    private static final int DEFAULT_UNITS = 100;
    private static final String KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS";

    @Spec
    private CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka cluster (default: $KAFKA_BOOTSTRAP_SERVERS, else an in-process broker)")
    private String bootstrapServers;

    @Option(names = "--jdbc-url", paramLabel = "URL",
            description = "database of the inventory service, e.g. jdbc:mysql://127.0.0.1:3306/inventory or "
                    + "jdbc:postgresql://127.0.0.1:5432/inventory (default: H2 in memory)")
    private String jdbcUrl;

    @Option(names = "--db-user", paramLabel = "USER",
            description = "database user (default: sa on H2, postgres on PostgreSQL, root on MySQL/MariaDB)")
    private String dbUser;

    @Option(names = "--db-password", paramLabel = "PASSWORD", defaultValue = "${env:DEDUP_DB_PASSWORD:-}",
            description = "database password (default: $DEDUP_DB_PASSWORD, else empty)")
    private String dbPassword;

    @Option(names = "--topic", paramLabel = "TOPIC",
            description = "the stock events topic (default: stock-events; with --generate a new stock-events-<run id>)")
    private String topic;

    @Option(names = "--consumer-name", paramLabel = "NAME", defaultValue = "inventory-service",
            description = "the service's dedup consumer name, dedup.consumer-name (default: ${DEFAULT-VALUE})")
    private String consumerName;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "new consumer group to replay with (default: <consumer name>-replay-<time>)")
    private String group;

    @Option(names = "--reset-group", paramLabel = "GROUP",
            description = "replay with this existing group after resetting its offsets; needs --yes and a group without members")
    private String resetGroup;

    @Option(names = "--from-timestamp", paramLabel = "INSTANT",
            description = "replay from the first record at or after this time (ISO-8601, e.g. 2026-01-05T08:00:00Z) "
                    + "instead of the beginning")
    private String fromTimestamp;

    @Option(names = "--no-replay", description = "verify only, without replaying")
    private boolean noReplay;

    @Option(names = "--yes", description = "confirm: reset an existing group's offsets, or replay under a consumer name "
            + "that has claimed nothing (which would apply every event as new)")
    private boolean yes;

    @Option(names = "--check-group", paramLabel = "GROUP",
            description = "check this group's committed offsets: every record below them done (default: the replay group)")
    private String checkGroup;

    @Option(names = "--initial-stock", paramLabel = "UNITS",
            description = "units every SKU held before the first event: seeds the stock table with --generate (default "
                    + DEFAULT_UNITS + "); otherwise checked against the ledger (default: derived from the database)")
    private Integer initialStock;

    @Option(names = "--expect-no-change", description = "fail if the replay applies or refuses any event itself "
            + "(always on with --generate, whose live pass consumed everything)")
    private boolean expectNoChange;

    @Option(names = "--generate", paramLabel = "RECORDS",
            description = "first produce this many records of a seeded workload (~20%% re-sends, conflicts, bad records) "
                    + "to a new topic, seed the stock table and consume them (default: " + DEFAULT_GENERATED
                    + " on the in-process broker, 0 otherwise)")
    private Integer generate;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "seed of the generated workload (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--skus", paramLabel = "N", defaultValue = "12",
            description = "SKUs of the generated workload (default: ${DEFAULT-VALUE})")
    private int skus;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "6",
            description = "partitions of a topic the command creates (default: ${DEFAULT-VALUE})")
    private int partitions;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "3",
            description = "listener threads of the replaying service (default: ${DEFAULT-VALUE})")
    private int concurrency;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT10M", converter = DurationConverter.class,
            description = "how long each pass may take, ISO-8601 or seconds (default: ${DEFAULT-VALUE})")
    private Duration timeout;

    @Option(names = "--progress-every", paramLabel = "DURATION", defaultValue = "PT2S", converter = DurationConverter.class,
            description = "how often a pass prints its progress (default: ${DEFAULT-VALUE})")
    private Duration progressEvery;

    private final PrintStream out;

    ReplayVerifyCommand(PrintStream out) {
        this.out = out;
    }

    /** Runs the command and exits with its exit code. */
    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    /** Runs the command, printing to {@code out}; returns the exit code. */
    static int run(PrintStream out, String... args) {
        CommandLine commandLine = new CommandLine(new ReplayVerifyCommand(out));
        PrintWriter writer = new PrintWriter(out, true);
        commandLine.setOut(writer);
        commandLine.setErr(writer);
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        validate();
        try {
            return run();
        } catch (ParameterException e) {
            throw e;
        } catch (RuntimeException e) {
            log.error("replay-verify could not run", e);
            out.println();
            out.println("VERDICT: BROKEN - the command could not run: " + e.getMessage());
            return BROKEN;
        }
    }

    private void validate() {
        if (resetGroup != null && group != null) {
            throw usage("--group and --reset-group exclude each other: a replay uses one group");
        }
        if (resetGroup != null && !yes) {
            throw usage("--reset-group " + resetGroup + " moves that group's committed offsets; add --yes to confirm");
        }
        if (noReplay && (resetGroup != null || group != null || fromTimestamp != null)) {
            throw usage("--no-replay verifies only; it takes no --group, --reset-group or --from-timestamp");
        }
        if (fromTimestamp != null) {
            instant(fromTimestamp);
        }
        if (generate != null && generate < 0) {
            throw usage("--generate: " + generate + " is negative");
        }
        if (skus < 1 || partitions < 1 || concurrency < 1) {
            throw usage("--skus, --partitions and --concurrency must be at least 1");
        }
        if (initialStock != null && initialStock < 0) {
            throw usage("--initial-stock: " + initialStock + " is negative");
        }
        if (timeout.isNegative() || timeout.isZero() || progressEvery.isNegative() || progressEvery.isZero()) {
            throw usage("--timeout and --progress-every must be positive");
        }
    }

    private Instant instant(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw usage("--from-timestamp: '" + text + "' is not an ISO-8601 instant such as 2026-01-05T08:00:00Z");
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private int run() {
        String runId = runId();
        String servers = firstText(bootstrapServers, System.getenv(KAFKA_ENV));
        if (servers != null) {
            return run(runId, servers, false);
        }
        try (EmbeddedKafka embedded = EmbeddedKafka.start()) {
            return run(runId, embedded.bootstrapServers(), true);
        }
    }

    private int run(String runId, String servers, boolean embeddedKafka) {
        String url = jdbcUrl != null ? jdbcUrl : "jdbc:h2:mem:replay-" + runId + ";DB_CLOSE_DELAY=-1";
        String user = dbUser != null ? dbUser : switch (InventorySchema.vendor(url)) {
            case "h2" -> "sa";
            case "postgresql" -> "postgres";
            default -> "root";
        };
        int records = generate != null ? generate : embeddedKafka ? DEFAULT_GENERATED : 0;
        String stockTopic = topic != null ? topic : records > 0 ? "stock-events-" + runId : "stock-events";
        int steps = (records > 0 ? 2 : 0) + (noReplay ? 0 : 1) + 1;
        int step = 0;

        out.printf("replay-verify: topic %s, consumer name %s%n", stockTopic, consumerName);
        out.printf("  kafka     %s%n", embeddedKafka ? "in-process KRaft broker at " + servers
                + " (--bootstrap-servers for yours)" : servers);
        out.printf("  database  %s%n", jdbcUrl == null ? "H2 in memory (--jdbc-url for yours)" : redact(url));

        try (KafkaTopics kafka = new KafkaTopics(servers); HikariDataSource dataSource = dataSource(url, user)) {
            List<String> appArgs = appArgs(servers, url, user);
            Map<String, Integer> initial = null;
            String liveGroup = null;
            if (records > 0) {
                if (kafka.exists(stockTopic) && GroupOffsets.total(kafka.endOffsets(stockTopic)) > 0) {
                    throw usage("--generate writes a new workload, but topic " + stockTopic + " already holds records; "
                            + "leave --topic out or name a new topic");
                }
                InventorySchema.migrate(dataSource, url);
                int units = initialStock != null ? initialStock : DEFAULT_UNITS;
                StockWorkload workload = new StockWorkload(runId, skus, units, seed, StockWorkload.DEFAULT_MIX);
                initial = workload.initialStock();
                InventorySchema.seed(dataSource, initial);
                kafka.create(stockTopic, partitions);
                kafka.create(stockTopic + "-dlt", partitions);
                out.printf("[%d/%d] producing %,d records (seed %d: %d SKUs with %d units each, ~20%% exact re-sends, "
                        + "same-id conflicts, bad records)%n", ++step, steps, records, seed, skus, units);
                try (WorkloadProducer producer = new WorkloadProducer(servers, stockTopic, "replay-verify-" + runId)) {
                    producer.sendAll(workload, records);
                }
                out.printf("      sent %s%n", workload.counts());
                liveGroup = consumerName + "-live-" + runId;
                out.printf("[%d/%d] consuming them with the inventory service (group %s)%n", ++step, steps, liveGroup);
                ReplayPass.Result live = ReplayPass.run(kafka, stockTopic, liveGroup, kafka.beginningOffsets(stockTopic),
                        consumerName, partitions, concurrency, appArgs, timeout, progressEvery, "live", out);
                out.printf("      %,d/%,d records in %.1f s: %s%n", live.done(), live.records(), live.seconds(),
                        outcomes(live.outcomes()));
            } else {
                if (!kafka.exists(stockTopic)) {
                    throw usage("topic " + stockTopic + " does not exist on " + servers);
                }
                if (!noReplay && !yes && DatabaseState.read(dataSource, consumerName).claims().isEmpty()) {
                    throw usage("consumer name '" + consumerName + "' has claimed nothing in this database: a replay "
                            + "under it would apply every event as new. Check --consumer-name (the service's "
                            + "dedup.consumer-name), or add --yes if that is what you want");
                }
            }

            ReplayPass.Result replay = null;
            String replayGroup = null;
            if (!noReplay) {
                replayGroup = replayGroup(kafka, stockTopic);
                Map<TopicPartition, Long> from = fromTimestamp == null ? kafka.beginningOffsets(stockTopic)
                        : kafka.offsetsAt(stockTopic, instant(fromTimestamp));
                out.printf("[%d/%d] replaying %,d records of %s from %s with %s group %s (same dedup consumer name)%n",
                        ++step, steps, KafkaTopics.distance(from, kafka.endOffsets(stockTopic)), stockTopic,
                        fromTimestamp == null ? "the beginning" : fromTimestamp, resetGroup != null ? "reset" : "new",
                        replayGroup);
                replay = ReplayPass.run(kafka, stockTopic, replayGroup, from, consumerName, partitions, concurrency,
                        appArgs, timeout, progressEvery, "replay", out);
                out.printf("      %,d/%,d records in %.1f s: %s%n", replay.done(), replay.records(), replay.seconds(),
                        outcomes(replay.outcomes()));
            }

            out.printf("[%d/%d] verifying: reading %s, %s-dlt and the database%n", ++step, steps, stockTopic, stockTopic);
            String offsetsOf = checkGroup != null ? checkGroup : replayGroup != null ? replayGroup : liveGroup;
            Map<TopicPartition, Long> committed = offsetsOf == null ? null : kafka.committed(offsetsOf, stockTopic);
            List<TopicRecord> topicRecords = kafka.readAll(stockTopic);
            List<DeadLetter> letters = kafka.readDeadLetters(stockTopic + "-dlt");
            DatabaseState database = DatabaseState.read(dataSource, consumerName);
            if (initial == null && initialStock != null) {
                initial = new TreeMap<>();
                for (String sku : database.stock().keySet()) {
                    initial.put(sku, initialStock);
                }
            }
            Verification verification = InventoryVerifier.verify(new InventoryVerifier.Input(stockTopic, consumerName,
                    topicRecords, letters, database, initial, offsetsOf, committed));
            if (replay != null) {
                verification.check("Replay", "records replayed (committed by the replay group)", replay.records(),
                        replay.done(), "the replay did not get through the topic in time");
                if (records > 0 || expectNoChange) {
                    verification.check("Replay", "events the replay decided anew", 0, replay.decided(),
                            "the replay found events without a claim and applied or refused them again");
                } else if (replay.decided() > 0) {
                    verification.note("the replay decided " + replay.decided() + " event(s) no consumer had decided "
                            + "before (the live service had not got to them yet, or their claims were lost; "
                            + "--expect-no-change makes this a violation)");
                }
            }
            verification.print(out, "every invariant holds");
            return verification.passed() ? PASSED : VIOLATED;
        }
    }

    private String replayGroup(KafkaTopics kafka, String stockTopic) {
        if (resetGroup != null) {
            List<String> members = kafka.members(resetGroup);
            if (!members.isEmpty()) {
                throw usage("group " + resetGroup + " has " + members.size() + " active member(s): stop its consumers "
                        + "before resetting its offsets");
            }
            return resetGroup;
        }
        String fresh = group != null ? group : consumerName + "-replay-"
                + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        if (!kafka.members(fresh).isEmpty() || kafka.hasOffsets(fresh, stockTopic)) {
            throw usage("group " + fresh + " already exists; name a new one, or replay it with --reset-group " + fresh
                    + " --yes");
        }
        return fresh;
    }

    private List<String> appArgs(String servers, String url, String user) {
        List<String> args = new ArrayList<>();
        args.add("--spring.kafka.bootstrap-servers=" + servers);
        args.add("--spring.datasource.url=" + url);
        args.add("--spring.datasource.username=" + user);
        args.add("--spring.datasource.password=" + dbPassword);
        args.add("--spring.datasource.hikari.maximum-pool-size=" + (concurrency + 1));
        // The report is the output; the service logs only what goes wrong (not each dead letter it writes again).
        args.add("--logging.level.root=WARN");
        args.add("--logging.level.io.dedupconsumer.core.Deduplicator=ERROR");
        args.add("--logging.level.io.dedupconsumer.examples.inventory.DeadLetters=ERROR");
        return args;
    }

    private HikariDataSource dataSource(String url, String user) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("replay-verify");
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(dbPassword);
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(10_000);
        return new HikariDataSource(config);
    }

    private static String outcomes(Map<Outcome, Long> outcomes) {
        List<String> parts = new ArrayList<>();
        outcomes.forEach((outcome, count) -> {
            if (count > 0) {
                parts.add(String.format("%s %,d", outcome, count));
            }
        });
        return parts.isEmpty() ? "nothing counted" : String.join(", ", parts);
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    private static String firstText(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }

    /** A short id that keeps a generated run's topic, SKUs and event ids apart from other runs'. */
    static String runId() {
        String letters = "abcdefghijkmnpqrstuvwxyz";
        String alphabet = letters + "23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder().append(letters.charAt(random.nextInt(letters.length())));
        for (int i = 0; i < 4; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    /** Reads a duration as ISO-8601 ({@code PT10M}) or as whole seconds ({@code 600}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return value.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(value)) : Duration.parse(value);
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (PT10M, or seconds)");
            }
        }
    }
}
