package io.dedupconsumer.chaos;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.chaos.ChaosOptions.Fault;
import io.dedupconsumer.chaos.ChaosSchedule.Action;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.oracle.GroupOffsets;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Kind;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TcpProxy;
import io.dedupconsumer.testkit.TestDatabase;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chaos run: the inventory service as separate JVM processes consuming a multi-partition topic on a real broker
 * and a real MariaDB or PostgreSQL (through a TCP proxy that can cut it), while a producer sends events with re-sends
 * and conflicts, and a seeded schedule kills consumers (SIGKILL from outside, and halts inside, between the database
 * commit and the offset commit), starts and stops them (rebalances, zombies), cuts the database and restarts the
 * broker. Meanwhile an {@link EffectAudit} checks that no committed offset gets ahead of its effect. Afterwards the
 * consumers drain the topic and {@link InventoryVerifier} checks every invariant against the model.
 *
 * <p>All fleet bookkeeping runs on one control thread; blocking work (stopping a process, restarting the broker) on
 * another pool; the producer and the audit on threads of their own.
 */
final class ChaosRun {

    private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);
    private static final Duration TICK = Duration.ofMillis(500);
    private static final Duration AUDIT_EVERY = Duration.ofSeconds(3);
    private static final Duration STATUS_EVERY = Duration.ofSeconds(10);
    private static final int PREFERRED_INITIAL_CONSUMERS = 3;
    private static final int SCHEDULE_SHOWN = 12;
    private static final int DRAIN_CONSUMERS = 2;

    private final ChaosOptions options;
    private final PrintStream out;
    private final String runId = ReplayVerifyCommand.runId();
    private final String topic = "stock-events-" + runId;
    private final String group = "chaos-" + runId;
    private final String consumerName = "inventory-chaos-" + runId;

    private final ScheduledThreadPoolExecutor control = new ScheduledThreadPoolExecutor(1, named("chaos-control"));
    private final ExecutorService blocking = Executors.newCachedThreadPool(named("chaos-blocking"));
    private final ScheduledExecutorService auditor = Executors.newSingleThreadScheduledExecutor(named("chaos-audit"));

    // control thread only
    private final List<ConsumerProcess> alive = new ArrayList<>();
    /** Every process started; also read by the main thread, to kill what is left if the run fails. */
    private final List<ConsumerProcess> all = new CopyOnWriteArrayList<>();
    private int target;
    private int pendingStarts;
    private int incarnations;
    private boolean calm;
    private List<String> consumerArgs;

    private final Set<ConsumerProcess> killedByUs = ConcurrentHashMap.newKeySet();
    private final Set<ConsumerProcess> stoppedByUs = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sigkills = new AtomicInteger();
    private final AtomicInteger haltsAfter = new AtomicInteger();
    private final AtomicInteger haltsBefore = new AtomicInteger();
    private final AtomicInteger stalls = new AtomicInteger();
    private final AtomicInteger gracefulStops = new AtomicInteger();
    private final AtomicInteger extraStarts = new AtomicInteger();
    private final AtomicInteger exits = new AtomicInteger();
    private final AtomicInteger startupFailures = new AtomicInteger();
    private final AtomicInteger unexpectedExits = new AtomicInteger();
    private final AtomicInteger outages = new AtomicInteger();
    private final AtomicLong outageNanos = new AtomicLong();
    private final AtomicInteger brokerRestarts = new AtomicInteger();
    private final AtomicBoolean brokerRestarting = new AtomicBoolean();
    private final AtomicLong outageGeneration = new AtomicLong();
    private long cutSince;
    private final long started = System.nanoTime();

    private ChaosRun(ChaosOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
        control.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Runs the chaos and the verification; prints progress and the summary to {@code out}. */
    static ChaosSummary run(ChaosOptions options, PrintStream out) {
        return new ChaosRun(options, out).run();
    }

    private ChaosSummary run() {
        ChaosSchedule schedule = ChaosSchedule.of(options, initialConsumers());
        out.printf("Chaos run %s on %s, seed %d (-Dchaos.seed=%d reproduces the schedule): %d s at %.0f records/s, %d "
                + "partitions, group protocol %s, %s%s%n", runId, options.database(), options.seed(), options.seed(),
                options.duration().toSeconds(), options.rate(), options.partitions(), options.groupProtocol(),
                options.faults(),
                options.unsafeOffsetFirst() ? ", UNSAFE consumer (offsets committed before the database)" : "");
        out.printf("  schedule: %s%n", schedule.describe(SCHEDULE_SHOWN));
        TestDatabase server = options.database();
        String database = server.createDatabase("chaos_" + runId);
        String jdbcUrl = server.jdbcUrl(database);
        ChildBroker childBroker = null;
        try (HikariDataSource direct = server.dataSource(database);
                TcpProxy proxy = TcpProxy.start(server.host(), server.port())) {
            String servers;
            if (options.has(Fault.BROKER_RESTART)) {
                childBroker = ChildBroker.start(workDirectory().resolve("broker"));
                servers = childBroker.bootstrapServers();
                out.printf("  kafka     child-process KRaft broker at %s (restartable)%n", servers);
            } else {
                servers = KafkaBroker.shared().bootstrapServers();
                out.printf("  kafka     %s (not restarted)%n", servers);
            }
            out.printf("  database  %s, consumers through TCP proxy 127.0.0.1:%d%n", jdbcUrl, proxy.port());
            InventorySchema.migrate(direct, jdbcUrl);
            StockWorkload workload = new StockWorkload(runId, options.skus(), options.initialStock(), options.seed(),
                    StockWorkload.DEFAULT_MIX);
            InventorySchema.seed(direct, workload.initialStock());
            try (KafkaTopics kafka = new KafkaTopics(servers)) {
                kafka.create(topic, options.partitions());
                kafka.create(topic + "-dlt", options.partitions());
                consumerArgs = consumerArgs(servers, server.jdbcUrl(database, proxy.port()), server);
                return chaos(schedule, kafka, servers, workload, direct, proxy, childBroker);
            }
        } finally {
            control.shutdownNow();
            auditor.shutdownNow();
            blocking.shutdownNow();
            all.stream().filter(ConsumerProcess::alive).forEach(ConsumerProcess::kill); // only after a failed run
            if (childBroker != null) {
                childBroker.close();
            }
        }
    }

    private ChaosSummary chaos(ChaosSchedule schedule, KafkaTopics kafka, String servers, StockWorkload workload,
            HikariDataSource direct, TcpProxy proxy, ChildBroker broker) {
        target = initialConsumers();
        onControl(() -> {
            for (int i = 0; i < target; i++) {
                startConsumer();
            }
        });
        control.scheduleWithFixedDelay(guard(this::supervise), TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        awaitFirstReady();

        long chaosStart = System.nanoTime();
        AtomicBoolean producing = new AtomicBoolean(true);
        WorkloadProducer producer = new WorkloadProducer(servers, topic, "chaos-producer-" + runId);
        Thread producerThread = new Thread(() -> {
            try {
                producer.sendAtRate(workload, options.rate(), options.duration(), producing::get);
            } catch (RuntimeException e) {
                log.error("the producer failed", e);
            }
        }, "chaos-producer");
        producerThread.start();
        for (Action action : schedule.actions()) {
            control.schedule(guard(() -> perform(action, proxy, broker)), action.at().toMillis(), TimeUnit.MILLISECONDS);
        }
        EffectAudit audit = new EffectAudit(kafka, topic, group, direct, consumerName);
        auditor.scheduleWithFixedDelay(() -> {
            try {
                audit.sample();
            } catch (RuntimeException e) {
                log.debug("audit sample skipped: {}", e.toString());
            }
        }, AUDIT_EVERY.toMillis(), AUDIT_EVERY.toMillis(), TimeUnit.MILLISECONDS);

        long nextStatus = System.nanoTime() + STATUS_EVERY.toNanos();
        while (producerThread.isAlive()) {
            join(producerThread, Duration.ofMillis(500));
            if (System.nanoTime() >= nextStatus) {
                status(kafka, producer, chaosStart);
                nextStatus = System.nanoTime() + STATUS_EVERY.toNanos();
            }
        }
        producer.close();
        double chaosSeconds = seconds(chaosStart);

        // Calm down: no more faults, database and broker back, at least two clean consumers.
        while (brokerRestarting.get()) {
            LockSupport.parkNanos(TICK.toNanos());
        }
        onControl(() -> {
            calm = true;
            target = Math.min(options.maxConsumers(), Math.max(target, DRAIN_CONSUMERS));
            outageGeneration.incrementAndGet();
            restore(proxy);
        });
        long drainStart = System.nanoTime();
        Map<TopicPartition, Long> end = kafka.endOffsets(topic);
        long total = GroupOffsets.total(end);
        out.printf("[drain] chaos over after %.0f s: %,d records in the topic; waiting for the group to commit them all%n",
                chaosSeconds, total);
        long deadline = drainStart + options.drainTimeout().toNanos();
        Map<TopicPartition, Long> committed = Map.of();
        nextStatus = System.nanoTime() + STATUS_EVERY.toNanos();
        while (System.nanoTime() < deadline) {
            committed = committedOrEmpty(kafka);
            if (KafkaTopics.caughtUp(committed, end)) {
                break;
            }
            if (System.nanoTime() >= nextStatus) {
                out.printf("[drain] %,d/%,d records committed, %d consumer(s) alive%n",
                        GroupOffsets.total(capped(committed, end)), total, aliveCount());
                nextStatus = System.nanoTime() + STATUS_EVERY.toNanos();
            }
            LockSupport.parkNanos(TICK.toNanos());
        }
        double drainSeconds = seconds(drainStart);
        out.printf("[drain] %,d/%,d records committed after %.0f s; stopping the consumers%n",
                GroupOffsets.total(capped(committed, end)), total, drainSeconds);
        stopFleet();
        auditor.shutdown();
        awaitTermination(auditor);
        try {
            audit.sample();
        } catch (RuntimeException e) {
            log.warn("the last audit sample failed: {}", e.toString());
        }
        audit.close();

        out.println("[verify] reading the topic, the dead-letter topic and the database");
        Map<TopicPartition, Long> finalCommitted = kafka.committed(group, topic);
        List<TopicRecord> records = kafka.readAll(topic);
        List<DeadLetter> letters = kafka.readDeadLetters(topic + "-dlt");
        DatabaseState state = DatabaseState.read(direct, consumerName);
        Verification verification = InventoryVerifier.verify(new InventoryVerifier.Input(topic, consumerName, records,
                letters, state, workload.initialStock(), group, finalCommitted));
        verification.check("Drain", "records committed by the group", records.size(),
                GroupOffsets.total(capped(finalCommitted, end)), "the consumers did not get through the topic");
        verification.check("Offset audit during the run", "committed offsets found ahead of their effects", 0,
                audit.violations().size(), "an offset was committed before the record's effect");
        audit.violations().forEach(v -> verification.example("committed offsets found ahead of their effects", v));
        int processes = incarnations;
        int membershipChanges = incarnations + exits.get();
        if (options.replay()) {
            replay(kafka, direct, state, verification);
        }
        verification.print(out, "every invariant holds");

        TopicModel model = TopicModel.build(topic, records, workload.initialStock(), Map.of(), Set.of());
        ChaosSummary summary = new ChaosSummary(runId, options.seed(), chaosSeconds, drainSeconds, seconds(started),
                processes, sigkills.get(), haltsAfter.get(), haltsBefore.get(), stalls.get(),
                all.stream().mapToInt(ConsumerProcess::evictions).sum(), gracefulStops.get(),
                extraStarts.get(), membershipChanges, startupFailures.get(), unexpectedExits.get(), outages.get(),
                outageNanos.get() / 1e9,
                brokerRestarts.get(), records.size(), producer.failed(), model.decisions().size(),
                model.count(Kind.DUPLICATE), model.count(Kind.CONFLICT),
                model.count(Kind.INVALID), statSum(Outcome.DUPLICATE.name()),
                model.decided(Outcome.PROCESSED), model.decided(Outcome.REJECTED), letters.size(), audit.samples(),
                audit.checked(), verification);
        summary.print(out);
        return summary;
    }

    /** Replays the whole topic with a new group and one clean consumer: nothing may change. */
    private void replay(KafkaTopics kafka, HikariDataSource direct, DatabaseState before, Verification verification) {
        String replayGroup = group + "-replay";
        out.printf("[replay] replaying the whole topic with new group %s (same dedup consumer name)%n", replayGroup);
        long start = System.nanoTime();
        Map<TopicPartition, Long> end = kafka.endOffsets(topic);
        List<String> args = new ArrayList<>(consumerArgs);
        args.replaceAll(arg -> arg.startsWith("--spring.kafka.consumer.group-id=")
                ? "--spring.kafka.consumer.group-id=" + replayGroup : arg);
        ConsumerProcess consumer = ConsumerProcess.start(++incarnations, FaultPlan.NONE, args);
        Map<TopicPartition, Long> committed = Map.of();
        long deadline = start + options.drainTimeout().toNanos();
        try {
            while (System.nanoTime() < deadline && consumer.alive()) {
                committed = committedOrEmpty(kafka, replayGroup);
                if (KafkaTopics.caughtUp(committed, end)) {
                    break;
                }
                LockSupport.parkNanos(TICK.toNanos());
            }
            LockSupport.parkNanos(Duration.ofMillis(1_500).toNanos()); // one more CHAOS-STATS line
        } finally {
            consumer.stop();
            consumer.poll();
        }
        DatabaseState after = DatabaseState.read(direct, consumerName);
        out.printf("[replay] %,d records in %.0f s: %d DUPLICATE, %d CONFLICT, %d INVALID, %d PROCESSED, %d REJECTED%n",
                GroupOffsets.total(capped(committed, end)), seconds(start), consumer.stat("DUPLICATE"),
                consumer.stat("CONFLICT"), consumer.stat("INVALID"), consumer.stat("PROCESSED"), consumer.stat("REJECTED"));
        String section = "Replay of the whole topic (new group, same dedup consumer name)";
        verification.check(section, "records replayed", GroupOffsets.total(end),
                GroupOffsets.total(capped(committed, end)), "the replay did not get through the topic");
        verification.check(section, "events the replay decided anew", 0,
                consumer.stat("PROCESSED") + consumer.stat("REJECTED"), "the replay applied or refused events again");
        verification.check(section, "ledger rows added by the replay", 0, after.ledger().size() - before.ledger().size(),
                "the replay moved stock again");
        verification.check(section, "stock unchanged by the replay", "yes", after.stock().equals(before.stock()) ? "yes"
                : "no", "the replay changed the stock");
    }

    private void perform(Action action, TcpProxy proxy, ChildBroker broker) {
        if (calm) {
            return;
        }
        out.printf("  [chaos %s] %s%n", action.describe().strip(), switch (action.type()) {
            case SIGKILL -> sigkill(action.pick());
            case START -> {
                target++;
                extraStarts.incrementAndGet();
                yield "one more consumer (now " + target + ")";
            }
            case STOP -> stopOne(action.pick());
            case DB_OUTAGE -> outage(action.length(), proxy);
            case BROKER_RESTART -> restartBroker(action.length(), broker);
        });
    }

    private String sigkill(double pick) {
        ConsumerProcess victim = pick(pick);
        if (victim == null) {
            return "no consumer to kill";
        }
        killedByUs.add(victim);
        sigkills.incrementAndGet();
        blocking.execute(victim::kill);
        return "SIGKILL " + victim;
    }

    private String stopOne(double pick) {
        ConsumerProcess victim = pick(pick);
        if (victim == null) {
            return "no consumer to stop";
        }
        target--;
        stoppedByUs.add(victim);
        gracefulStops.incrementAndGet();
        blocking.execute(victim::stop);
        return "SIGTERM " + victim + " (now " + target + ")";
    }

    private ConsumerProcess pick(double pick) {
        List<ConsumerProcess> candidates = alive.stream()
                .filter(p -> !killedByUs.contains(p) && !stoppedByUs.contains(p)).toList();
        return candidates.isEmpty() ? null : candidates.get((int) (pick * candidates.size()));
    }

    private String outage(Duration length, TcpProxy proxy) {
        long generation = outageGeneration.incrementAndGet();
        if (cutSince == 0) {
            cutSince = System.nanoTime();
            proxy.cut();
        }
        outages.incrementAndGet();
        control.schedule(guard(() -> {
            if (outageGeneration.get() == generation) {
                restore(proxy);
            }
        }), length.toMillis(), TimeUnit.MILLISECONDS);
        return "database cut";
    }

    private void restore(TcpProxy proxy) {
        if (cutSince != 0) {
            proxy.restore();
            outageNanos.addAndGet(System.nanoTime() - cutSince);
            cutSince = 0;
        }
    }

    private String restartBroker(Duration down, ChildBroker broker) {
        if (broker == null || !brokerRestarting.compareAndSet(false, true)) {
            return "skipped (a restart is in progress)";
        }
        brokerRestarts.incrementAndGet();
        blocking.execute(() -> {
            try {
                broker.stop();
                LockSupport.parkNanos(down.toNanos());
                broker.start();
                out.printf("  [chaos] broker back after %.1f s down%n", down.toMillis() / 1000.0);
            } catch (RuntimeException e) {
                log.error("the broker restart failed", e);
                out.println("  [chaos] the broker restart FAILED: " + e.getMessage());
            } finally {
                brokerRestarting.set(false);
            }
        });
        return "broker stopping (SIGTERM)";
    }

    /** On the control thread: notices exits, counts them by cause, and starts replacements. */
    private void supervise() {
        for (ConsumerProcess process : List.copyOf(alive)) {
            process.poll();
            if (process.alive()) {
                continue;
            }
            alive.remove(process);
            exits.incrementAndGet();
            List<String> faults = process.faults();
            stalls.addAndGet((int) faults.stream().filter("stall-before-commit"::equals).count());
            String cause;
            if (faults.contains("halt-after-commit")) {
                haltsAfter.incrementAndGet();
                cause = "halted right after a DB commit, before its offset commit";
            } else if (faults.contains("halt-before-commit")) {
                haltsBefore.incrementAndGet();
                cause = "halted right before a DB commit";
            } else if (killedByUs.contains(process)) {
                cause = "killed";
            } else if (stoppedByUs.contains(process)) {
                cause = "stopped";
            } else if (!process.ready()) {
                startupFailures.incrementAndGet();
                cause = "failed to start (exit " + process.exitCode() + "; its database or broker was unreachable)";
            } else {
                unexpectedExits.incrementAndGet();
                cause = "EXITED UNEXPECTEDLY with " + process.exitCode();
            }
            out.printf("  [fleet] %s gone: %s%n", process, cause);
        }
        while (alive.size() + pendingStarts < target) {
            pendingStarts++;
            Duration delay = ChaosSchedule.restartDelay(options, incarnations + pendingStarts);
            control.schedule(guard(() -> {
                pendingStarts--;
                if (alive.size() < target) {
                    startConsumer();
                }
            }), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void startConsumer() {
        int incarnation = ++incarnations;
        FaultPlan plan = ChaosSchedule.plan(options, incarnation, calm);
        List<String> args = new ArrayList<>(consumerArgs);
        args.add("--spring.kafka.client-id=chaos-" + runId + "-c" + incarnation);
        if (options.unsafeOffsetFirst()) {
            args.add("--chaos.unsafe.offset-first=true");
        }
        ConsumerProcess process = ConsumerProcess.start(incarnation, plan, args);
        alive.add(process);
        all.add(process);
        out.printf("  [fleet] started %s%n", process);
    }

    private int initialConsumers() {
        return Math.max(options.minConsumers(), Math.min(options.maxConsumers(), PREFERRED_INITIAL_CONSUMERS));
    }

    private List<String> consumerArgs(String servers, String proxiedUrl, TestDatabase server) {
        List<String> args = new ArrayList<>();
        args.add("--spring.kafka.bootstrap-servers=" + servers);
        args.add("--spring.datasource.url=" + proxiedUrl);
        args.add("--spring.datasource.username=" + server.user());
        args.add("--spring.datasource.password=" + server.password());
        args.add("--spring.datasource.hikari.maximum-pool-size=" + (options.concurrency() + 1));
        args.add("--spring.datasource.hikari.connection-timeout=3000");
        args.add("--inventory.topic=" + topic);
        args.add("--inventory.partitions=" + options.partitions());
        args.add("--inventory.concurrency=" + options.concurrency());
        args.add("--spring.kafka.consumer.group-id=" + group);
        args.add("--dedup.consumer-name=" + consumerName);
        // A dead consumer's partitions move within seconds; a stalled one is evicted after max.poll.interval.ms. Under
        // the consumer protocol the broker owns both timings (group.consumer.* in the broker's settings).
        if (options.groupProtocol().equals("consumer")) {
            args.add("--spring.kafka.consumer.properties.group.protocol=consumer");
        } else {
            args.add("--spring.kafka.consumer.properties.session.timeout.ms=6000");
            args.add("--spring.kafka.consumer.properties.heartbeat.interval.ms=1500");
        }
        args.add("--spring.kafka.consumer.properties.max.poll.interval.ms=" + options.maxPollInterval().toMillis());
        args.add("--spring.kafka.consumer.max-poll-records=100");
        args.add("--spring.kafka.listener.immediate-stop=true");
        args.add("--dedup.retry.initial-interval=200ms");
        args.add("--dedup.retry.max-interval=2s");
        args.add("--logging.level.root=WARN");
        args.add("--logging.level.io.dedupconsumer=INFO");
        // Joins, revocations and poll-timeout evictions, in the process's log and counted by ConsumerProcess.
        args.add("--logging.level.org.apache.kafka.clients.consumer.internals=INFO");
        return args;
    }

    private void awaitFirstReady() {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            boolean ready = onControl(() -> alive.stream().anyMatch(ConsumerProcess::ready));
            if (ready) {
                return;
            }
            LockSupport.parkNanos(TICK.toNanos());
        }
        throw new IllegalStateException("no consumer process became ready within 3 minutes; see target/child-jvm-logs");
    }

    private void stopFleet() {
        List<ConsumerProcess> running = onControl(() -> {
            calm = true;
            target = 0;
            return List.copyOf(alive);
        });
        control.shutdown();
        awaitTermination(control);
        List<Thread> stoppers = new ArrayList<>();
        for (ConsumerProcess process : running) {
            stoppedByUs.add(process);
            Thread stopper = new Thread(process::stop, "chaos-stop-" + process.incarnation());
            stopper.start();
            stoppers.add(stopper);
        }
        stoppers.forEach(stopper -> join(stopper, Duration.ofSeconds(60)));
        for (ConsumerProcess process : running) {
            process.poll();
            stalls.addAndGet((int) process.faults().stream().filter("stall-before-commit"::equals).count());
        }
        blocking.shutdown();
        awaitTermination(blocking);
    }

    private void status(KafkaTopics kafka, WorkloadProducer producer, long chaosStart) {
        Map<TopicPartition, Long> committed = committedOrEmpty(kafka);
        out.printf("  [status %3.0fs] sent %,d, committed %,d; %d consumer(s) alive; kills %d, halts %d+%d, outages %d, "
                + "broker restarts %d%n", seconds(chaosStart), producer.acknowledged(),
                GroupOffsets.total(committed), aliveCount(), sigkills.get(), haltsAfter.get(), haltsBefore.get(),
                outages.get(), brokerRestarts.get());
    }

    private int aliveCount() {
        return onControlOr(() -> alive.size(), -1);
    }

    private long statSum(String name) {
        return all.stream().mapToLong(process -> process.stat(name)).sum();
    }

    private Map<TopicPartition, Long> committedOrEmpty(KafkaTopics kafka) {
        return committedOrEmpty(kafka, group);
    }

    private Map<TopicPartition, Long> committedOrEmpty(KafkaTopics kafka, String of) {
        try {
            return kafka.committed(of, topic);
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private static Map<TopicPartition, Long> capped(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> capped = new java.util.HashMap<>();
        end.forEach((partition, offset) -> capped.put(partition, Math.min(offset, committed.getOrDefault(partition, 0L))));
        return capped;
    }

    private Path workDirectory() {
        try {
            Path target = Path.of(System.getProperty("user.dir"), "target");
            Path base = Files.isDirectory(target) ? target.resolve("chaos") : Files.createTempDirectory("chaos");
            return Files.createDirectories(base.resolve(runId));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work directory for the chaos run", e);
        }
    }

    private void onControl(Runnable task) {
        onControl(() -> {
            task.run();
            return null;
        });
    }

    private <T> T onControl(java.util.concurrent.Callable<T> task) {
        try {
            return control.submit(task).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the control thread failed: " + e, e);
        }
    }

    private <T> T onControlOr(java.util.concurrent.Callable<T> task, T otherwise) {
        try {
            return onControl(task);
        } catch (RuntimeException e) {
            return otherwise;
        }
    }

    private static Runnable guard(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("chaos task failed", e);
            }
        };
    }

    private static void join(Thread thread, Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void awaitTermination(ExecutorService executor) {
        try {
            if (!executor.awaitTermination(90, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
