package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.spring.DedupErrorHandling;
import io.dedupconsumer.spring.boot.DedupProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The one-command demo: starts the service (Spring Boot on a random local port) on the embedded defaults (an
 * in-process Kafka broker and H2) or on what it is given, plays a payment provider and a merchant against the real
 * notify endpoint ({@link Workload}), waits until every callback was consumed, replays the topic from the beginning
 * under a new consumer group with the same dedup consumer name, and prints a verification table. Exits 0 when every
 * invariant holds, 1 on any violation, 2 on a usage error.
 *
 * <pre>
 * mvn -B -ntp -Pdemo -pl payment-callback-example -am verify [-Ddemo.args="--rounds=3"]
 * </pre>
 *
 * Options: {@code --rounds=N} (copies of every story, default 2), {@code --threads=N} (provider threads firing one
 * callback at once, default 4), {@code --tamper} (overwrite an order behind the state machine's back after
 * consumption, to show that the verifier catches it), and any {@code --name=value} of the service (e.g.
 * {@code --spring.datasource.url=jdbc:mysql://...}). {@code KAFKA_BOOTSTRAP_SERVERS} selects an external broker.
 */
public final class PaymentDemo {

    private static final Duration CONSUME_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private PaymentDemo() {
    }

    /** Runs the demo and exits with its verdict. */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Runs the demo.
     *
     * @return 0 when every invariant holds, 1 on a violation, 2 on a usage error
     */
    static int run(String[] args, PrintStream out) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            out.println("usage error: " + e.getMessage());
            out.println("options: --rounds=N (default 2) --threads=N (default 4) --tamper, and any --name=value of the "
                    + "service, e.g. --spring.datasource.url=...; KAFKA_BOOTSTRAP_SERVERS selects an external broker");
            return 2;
        }
        long started = System.nanoTime();
        String external = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        EmbeddedKafkaKraftBroker embedded = null;
        String bootstrap = options.bootstrapServers();
        if (bootstrap == null && external != null && !external.isBlank()) {
            bootstrap = external.trim();
        }
        if (bootstrap == null) {
            embedded = startEmbeddedBroker();
            bootstrap = embedded.getBrokersAsString().replace("localhost:", "127.0.0.1:");
        }
        try {
            return runAgainst(options, bootstrap, embedded != null, out, started);
        } finally {
            if (embedded != null) {
                embedded.destroy();
            }
        }
    }

    private static int runAgainst(Options options, String bootstrap, boolean embedded, PrintStream out, long started) {
        SecureRandom random = new SecureRandom();
        String run = "r" + HexFormat.of().formatHex(random.generateSeed(3));
        String secret = HexFormat.of().formatHex(random.generateSeed(24));
        String topic = "payment-callbacks-" + run;
        String liveGroup = "payment-service-" + run;
        List<String> serviceArgs = new ArrayList<>(List.of(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--spring.kafka.bootstrap-servers=" + bootstrap,
                "--spring.kafka.consumer.group-id=" + liveGroup,
                "--payment.topic=" + topic,
                "--payment.notify.secret=" + secret));
        if (options.serviceArgs().stream().noneMatch(a -> a.startsWith("--spring.datasource.url="))
                && System.getenv("SPRING_DATASOURCE_URL") == null) {
            serviceArgs.add("--spring.datasource.url=jdbc:h2:mem:payment-demo-" + run + ";DB_CLOSE_DELAY=-1");
        }
        serviceArgs.addAll(options.serviceArgs());

        try (ConfigurableApplicationContext service = new SpringApplicationBuilder(PaymentCallbackApplication.class)
                .main(PaymentCallbackApplication.class)
                .run(serviceArgs.toArray(String[]::new))) {
            int port = service.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            JdbcTemplate jdbc = service.getBean(JdbcTemplate.class);
            String consumerName = service.getBean(DedupProperties.class).getConsumerName();
            MeterRegistry meters = service.getBean(MeterRegistry.class);
            out.printf("payment demo %s: service on http://127.0.0.1:%d%s, Kafka %s (%s), database %s%n", run, port,
                    NotifyController.PATH, bootstrap, embedded ? "in-process" : "external",
                    databaseName(service.getBean(DataSource.class)));

            Workload workload = new Workload(NotifyClient.local(port), new NotifySignature(secret),
                    new NotifySignature(HexFormat.of().formatHex(random.generateSeed(24))), service.getBean(Orders.class),
                    run, options.threads());
            workload.run(options.rounds(), 4);
            Map<Integer, Integer> answers = workload.answers();
            out.printf("sent %d notify calls (HTTP answers %s); waiting for the consumer...%n",
                    answers.values().stream().mapToInt(Integer::intValue).sum(), answers);

            try (Admin admin = Admin.create(service.getBean(KafkaAdmin.class).getConfigurationProperties())) {
                TopicProgress progress = new TopicProgress(admin);
                boolean consumed = progress.awaitCaughtUp(liveGroup, topic, CONSUME_TIMEOUT);
                if (options.tamper()) {
                    tamper(jdbc, workload, run);
                }
                Snapshot live = Snapshot.take(jdbc, consumerName, run);
                Map<Outcome, Long> liveOutcomes = outcomes(meters, consumerName);
                List<ConsumerRecord<byte[], byte[]>> deadLettersLive = TopicReader.readAll(bootstrap, topic
                        + DedupErrorHandling.DEAD_LETTER_SUFFIX, READ_TIMEOUT);

                out.println("consumed; replaying " + topic + " from the beginning as a new consumer group...");
                String replayGroup = "payment-replay-" + run;
                ConcurrentMessageListenerContainer<?, ?> replay = service.getBean(CallbackReplay.class).start(replayGroup);
                boolean replayed;
                try {
                    replayed = progress.awaitCaughtUp(replayGroup, topic, CONSUME_TIMEOUT);
                } finally {
                    replay.stop();
                }
                Snapshot afterReplay = Snapshot.take(jdbc, consumerName, run);
                Map<Outcome, Long> allOutcomes = outcomes(meters, consumerName);
                List<ConsumerRecord<byte[], byte[]>> callbacks = TopicReader.readAll(bootstrap, topic, READ_TIMEOUT);
                List<ConsumerRecord<byte[], byte[]>> deadLetters = TopicReader.readAll(bootstrap, topic
                        + DedupErrorHandling.DEAD_LETTER_SUFFIX, READ_TIMEOUT);

                VerificationReport report = verify(workload, consumed, replayed, live, afterReplay, liveOutcomes,
                        allOutcomes, callbacks, deadLettersLive, deadLetters);
                out.println();
                report.print(out);
                out.printf("took %.1f s%n", (System.nanoTime() - started) / 1e9);
                return report.violations().isEmpty() ? 0 : 1;
            }
        }
    }

    static VerificationReport verify(Workload workload, boolean consumed, boolean replayed, Snapshot live,
            Snapshot afterReplay, Map<Outcome, Long> liveOutcomes, Map<Outcome, Long> allOutcomes,
            List<ConsumerRecord<byte[], byte[]>> callbacks, List<ConsumerRecord<byte[], byte[]>> deadLettersLive,
            List<ConsumerRecord<byte[], byte[]>> deadLetters) {
        VerificationReport report = new VerificationReport();
        List<Expectation> expectations = workload.expectations();
        report.check("stories ran as written (problems)", 0, workload.problems().size());
        workload.problems().forEach(report::detail);
        report.check("consumer caught up with the topic", true, consumed);

        // Orders: final statuses, one by one and by status.
        Map<OrderStatus, Integer> expectedStatuses = new EnumMap<>(OrderStatus.class);
        for (Expectation e : expectations) {
            if (e.orderId() != null) {
                expectedStatuses.merge(e.status(), 1, Integer::sum);
            }
        }
        Map<OrderStatus, Integer> actualStatuses = live.statuses();
        for (OrderStatus status : OrderStatus.values()) {
            report.check("orders " + status, expectedStatuses.getOrDefault(status, 0), actualStatuses.getOrDefault(status, 0));
        }
        int inExpectedStatus = 0;
        int ordersExpected = 0;
        int paidOrders = 0;
        int paidWithOnePayment = 0;
        int paymentsOfUnpaid = 0;
        int expectedPayments = 0;
        int expectedFollowups = 0;
        int alerts = 0;
        int conflicts = 0;
        Map<Verdict, Integer> expectedVerdicts = new EnumMap<>(Verdict.class);
        for (Expectation e : expectations) {
            e.verdicts().forEach(v -> expectedVerdicts.merge(v, 1, Integer::sum));
            alerts += e.alerts();
            conflicts += e.conflicts();
            expectedPayments += e.payments();
            expectedFollowups += e.followups();
            if (e.orderId() == null) {
                continue;
            }
            ordersExpected++;
            String actual = live.orders().get(e.orderId());
            if (actual != null && actual.startsWith(e.status() + " ")) {
                inExpectedStatus++;
            } else {
                report.detail("order " + e.orderId() + " (" + e.story() + "): expected " + e.status() + ", found " + actual);
            }
            int payments = live.payments().getOrDefault(e.orderId(), 0);
            if (e.payments() == 1) {
                paidOrders++;
                if (payments == 1) {
                    paidWithOnePayment++;
                }
            } else {
                paymentsOfUnpaid += payments;
            }
            if (payments != e.payments()) {
                report.detail("order " + e.orderId() + " (" + e.story() + "): " + payments + " payment record(s), expected "
                        + e.payments());
            }
            int followups = live.followups().getOrDefault(e.orderId(), 0);
            if (followups != e.followups()) {
                report.detail("order " + e.orderId() + " (" + e.story() + "): " + followups + " refund follow-up(s), "
                        + "expected " + e.followups());
            }
        }
        report.check("orders in their expected final status", ordersExpected, inExpectedStatus);
        report.check("paid orders with exactly 1 payment record", paidOrders, paidWithOnePayment);
        report.check("payment records of orders never paid", 0, paymentsOfUnpaid);
        report.check("payment records in total", expectedPayments, sum(live.payments()));
        report.check("refund follow-ups (money kept for a refund)", expectedFollowups, sum(live.followups()));

        // The endpoint.
        Map<Integer, Integer> answers = workload.answers();
        report.check("forged/tampered callbacks answered 401", workload.forgedSent(), workload.forgedRefused());
        report.check("invalid callbacks answered 400", workload.invalidSent(), workload.invalidRefused());
        report.check("identical requests answered differently", 0, workload.unequalRetryAnswers());
        long refusedOnTopic = callbacks.stream()
                .filter(r -> workload.refusedBodies().stream().anyMatch(b -> Arrays.equals(b, r.value()))).count();
        report.check("forged/tampered/invalid callbacks published", 0L, refusedOnTopic);
        report.check("callbacks on the topic (= answers 200)", (long) answers.getOrDefault(200, 0), (long) callbacks.size());

        // The consumer: every distinct callback applied once, with its verdict.
        Map<Verdict, Integer> actualVerdicts = live.verdicts();
        for (Verdict verdict : Verdict.values()) {
            report.check("verdict " + verdict, expectedVerdicts.getOrDefault(verdict, 0),
                    actualVerdicts.getOrDefault(verdict, 0));
        }
        long applied = liveOutcomes.get(Outcome.PROCESSED) + liveOutcomes.get(Outcome.REJECTED);
        report.check("outcome PROCESSED + REJECTED (distinct callbacks)",
                (long) expectedVerdicts.values().stream().mapToInt(Integer::intValue).sum(), applied);
        report.info("outcome DUPLICATE (re-sends skipped)", liveOutcomes.get(Outcome.DUPLICATE));
        report.check("outcome CONFLICT", (long) conflicts, liveOutcomes.get(Outcome.CONFLICT));
        report.check("outcome INVALID", 0L, liveOutcomes.get(Outcome.INVALID));
        report.check("outcomes in total (= records on the topic)", (long) callbacks.size(),
                liveOutcomes.values().stream().mapToLong(Long::longValue).sum());
        report.check("anomaly alerts on the dead-letter topic", (long) alerts, count(deadLettersLive, true));
        report.check("conflicts dead-lettered", (long) conflicts, count(deadLettersLive, false));
        report.check("conflicts recorded in payment_conflict", conflicts, sum(live.conflicts()));

        // The replay: the same records again, nothing may change.
        Map<Outcome, Long> replay = new EnumMap<>(Outcome.class);
        allOutcomes.forEach((outcome, total) -> replay.put(outcome, total - liveOutcomes.get(outcome)));
        report.check("replay caught up with the topic", true, replayed);
        report.check("replay: records re-consumed", (long) callbacks.size(),
                replay.values().stream().mapToLong(Long::longValue).sum());
        report.check("replay: callbacks applied again", 0L, replay.get(Outcome.PROCESSED) + replay.get(Outcome.REJECTED));
        report.check("replay: database unchanged", true, live.equals(afterReplay));
        if (!live.equals(afterReplay)) {
            report.detail("before the replay: " + live);
            report.detail("after the replay:  " + afterReplay);
        }
        report.check("replay: new anomaly alerts", 0L, count(deadLetters, true) - count(deadLettersLive, true));
        report.info("replay: conflicts dead-lettered again", count(deadLetters, false) - count(deadLettersLive, false));
        return report;
    }

    /** Anomaly alerts ({@code true}) or conflict dead letters ({@code false}) on the dead-letter topic. */
    private static long count(List<ConsumerRecord<byte[], byte[]>> deadLetters, boolean anomalies) {
        return deadLetters.stream().filter(r -> anomalies ? header(r, AnomalyAlerts.KIND_HEADER) != null
                : Outcome.CONFLICT.name().equals(header(r, DedupErrorHandling.OUTCOME_HEADER))).count();
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static int sum(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static Map<Outcome, Long> outcomes(MeterRegistry meters, String consumerName) {
        Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            Counter counter = meters.find("dedup.records").tag("consumer", consumerName).tag("outcome", outcome.name())
                    .counter();
            outcomes.put(outcome, counter == null ? 0L : (long) counter.count());
        }
        return outcomes;
    }

    /**
     * What the state machine exists to prevent, done on purpose: a closed order overwritten to PAID with a payment,
     * behind the conditional statements' back. The verifier must report it.
     */
    private static void tamper(JdbcTemplate jdbc, Workload workload, String run) {
        String closed = workload.expectations().stream().filter(e -> e.status() == OrderStatus.CLOSED)
                .map(Expectation::orderId).findFirst().orElseThrow();
        jdbc.update("UPDATE orders SET status = 'PAID' WHERE id = ?", closed);
        jdbc.update("INSERT INTO payment (provider_tx_id, order_id, amount_minor, currency, recorded_at) "
                + "VALUES (?, ?, 1, 'EUR', CURRENT_TIMESTAMP)", "tx-" + run + "-tampered", closed);
    }

    private static String databaseName(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            var meta = connection.getMetaData();
            return meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion().split(" ")[0];
        } catch (Exception e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static EmbeddedKafkaKraftBroker startEmbeddedBroker() {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerListProperty("payment.demo.kafka.brokers"); // not spring.kafka.bootstrap-servers, the default
        broker.brokerProperties(Map.of(
                "listeners", "EXTERNAL://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
                "offsets.topic.replication.factor", "1",
                "offsets.topic.num.partitions", "4",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "group.initial.rebalance.delay.ms", "0"));
        broker.afterPropertiesSet();
        return broker;
    }

    /**
     * The demo's own options; everything else is handed to the service.
     *
     * @param rounds copies of every story
     * @param threads provider threads firing one callback at once
     * @param tamper whether to break an invariant on purpose
     * @param bootstrapServers an external broker, or {@code null}
     * @param serviceArgs {@code --name=value} arguments for the service
     */
    record Options(int rounds, int threads, boolean tamper, String bootstrapServers, List<String> serviceArgs) {

        static Options parse(String[] args) {
            int rounds = 2;
            int threads = 4;
            boolean tamper = false;
            String bootstrap = null;
            List<String> service = new ArrayList<>();
            for (String arg : args) {
                if (arg.isBlank()) {
                    continue;
                }
                if (arg.equals("--tamper")) {
                    tamper = true;
                } else if (arg.startsWith("--rounds=")) {
                    rounds = number(arg, 1, 100);
                } else if (arg.startsWith("--threads=")) {
                    threads = number(arg, 2, 32);
                } else if (arg.startsWith("--spring.kafka.bootstrap-servers=")) {
                    bootstrap = arg.substring(arg.indexOf('=') + 1);
                } else if (arg.startsWith("--") && arg.contains("=")) {
                    service.add(arg);
                } else {
                    throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            return new Options(rounds, threads, tamper, bootstrap, List.copyOf(service));
        }

        private static int number(String arg, int min, int max) {
            String value = arg.substring(arg.indexOf('=') + 1);
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(arg.substring(0, arg.indexOf('=')) + ": '" + value + "' is not a number from "
                    + min + " to " + max);
        }
    }
}
