package io.dedupconsumer.chaos;

import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a chaos run does: how long and how fast events flow, how many consumer processes run, which faults strike,
 * whether the consumer is the real one or a deliberately unsafe one, and on which database.
 *
 * @param duration how long the producer sends while faults strike (the drain comes after)
 * @param seed seed of the fault schedule, the fault plans and the workload
 * @param rate records sent per second
 * @param partitions partitions of the stock events topic
 * @param skus SKUs in the stock table
 * @param initialStock units of every SKU at the start
 * @param minConsumers consumer processes never fewer (restarts keep this many)
 * @param maxConsumers consumer processes never more
 * @param concurrency listener threads per consumer process
 * @param faults which faults strike
 * @param unsafeOffsetFirst run the deliberately unsafe consumer that commits offsets before the database
 * @param replay after the drain, replay the whole topic with a new group and check that nothing changes
 * @param maxPollInterval the consumers' {@code max.poll.interval.ms}: a stall longer than this makes a zombie
 * @param drainTimeout how long the consumers may take to catch up after the chaos
 * @param database the server the run gets a fresh database (a schema on PostgreSQL) from
 * @param groupProtocol the consumers' {@code group.protocol}: {@code classic}, or {@code consumer} (KIP-848, the
 *     broker-side incremental rebalance protocol)
 */
record ChaosOptions(Duration duration, long seed, double rate, int partitions, int skus, int initialStock,
        int minConsumers, int maxConsumers, int concurrency, Set<Fault> faults, boolean unsafeOffsetFirst,
        boolean replay, Duration maxPollInterval, Duration drainTimeout, TestDatabase database, String groupProtocol) {

    private static final String DATABASE_PROPERTY = "chaos.database";

    /** The faults a run can inject. */
    enum Fault {
        /** SIGKILL a consumer process at a random moment. */
        SIGKILL,
        /** Halt consumers inside, right before or after a database commit, and stall commits into zombies. */
        FAULT_POINTS,
        /** Start and stop consumer processes gracefully, so the group rebalances. */
        REBALANCE,
        /** Cut the database connections for a few seconds. */
        DB_OUTAGE,
        /** Stop and restart the Kafka broker (needs the child-process broker). */
        BROKER_RESTART
    }

    ChaosOptions {
        faults = Set.copyOf(faults);
        if (duration.isNegative() || duration.isZero() || rate <= 0 || partitions < 1 || skus < 1 || initialStock < 0
                || minConsumers < 1 || maxConsumers < minConsumers || concurrency < 1
                || !(groupProtocol.equals("classic") || groupProtocol.equals("consumer"))) {
            throw new IllegalArgumentException("chaos options out of range: " + this);
        }
    }

    /** The bounded run for CI: every fault, a minute of chaos (about two minutes in all). */
    static ChaosOptions ci(long seed) {
        return new ChaosOptions(Duration.ofSeconds(60), seed, 40, 6, 16, 60, 2, 4, 2, EnumSet.allOf(Fault.class), false,
                false, Duration.ofSeconds(10), Duration.ofMinutes(3), TestDatabase.mariadb(), "classic");
    }

    /** The soak: every fault for {@code duration}, then a replay of the whole topic. */
    static ChaosOptions soak(Duration duration, long seed) {
        return new ChaosOptions(duration, seed, 50, 6, 24, 80, 2, 4, 2, EnumSet.allOf(Fault.class), false, true,
                Duration.ofSeconds(10), Duration.ofMinutes(8), TestDatabase.mariadb(), "classic");
    }

    /** The deliberately unsafe consumer (offsets committed first), halted before database commits: it must fail. */
    static ChaosOptions unsafe(long seed) {
        return new ChaosOptions(Duration.ofSeconds(20), seed, 40, 6, 16, 60, 2, 2, 2, EnumSet.of(Fault.FAULT_POINTS),
                true, false, Duration.ofSeconds(10), Duration.ofMinutes(2), TestDatabase.mariadb(), "classic");
    }

    boolean has(Fault fault) {
        return faults.contains(fault);
    }

    /** A copy on another database server. */
    ChaosOptions on(TestDatabase other) {
        return new ChaosOptions(duration, seed, rate, partitions, skus, initialStock, minConsumers, maxConsumers,
                concurrency, faults, unsafeOffsetFirst, replay, maxPollInterval, drainTimeout, other, groupProtocol);
    }

    /** A copy whose consumers use {@code group.protocol} {@code protocol}. */
    ChaosOptions withGroupProtocol(String protocol) {
        return new ChaosOptions(duration, seed, rate, partitions, skus, initialStock, minConsumers, maxConsumers,
                concurrency, faults, unsafeOffsetFirst, replay, maxPollInterval, drainTimeout, database, protocol);
    }

    /** The database server {@code -Dchaos.database} names: {@code mariadb} (also when unset) or {@code postgresql}. */
    static TestDatabase chosenDatabase() {
        String name = System.getProperty(DATABASE_PROPERTY, "mariadb");
        return switch (name) {
            case "mariadb" -> TestDatabase.mariadb();
            case "postgresql" -> TestDatabase.postgresql();
            default -> throw new IllegalArgumentException(
                    "-D" + DATABASE_PROPERTY + " must be mariadb or postgresql, was " + name);
        };
    }
}
