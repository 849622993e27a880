package io.dedupconsumer.chaos;

import io.dedupconsumer.chaos.ChaosOptions.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * When each fault strikes, drawn from the seed before the run starts, so that a seed always gives the same schedule
 * and the same fault plan for the N-th consumer process (the interleaving with the consumers' progress is real time
 * and differs from run to run; the schedule does not).
 *
 * @param actions the actions in time order
 */
record ChaosSchedule(List<Action> actions) {

    /** What an action does. */
    enum Type {
        /** SIGKILL one consumer process. */
        SIGKILL,
        /** Start one more consumer process (the group rebalances). */
        START,
        /** Stop one consumer process gracefully (the group rebalances). */
        STOP,
        /** Cut the database for {@code length}. */
        DB_OUTAGE,
        /** Stop the broker, keep it down for {@code length}, start it again. */
        BROKER_RESTART
    }

    /**
     * One action.
     *
     * @param at when, from the start of the chaos
     * @param type what
     * @param length how long an outage or a broker downtime lasts
     * @param pick which consumer process, as a fraction of those alive
     */
    record Action(Duration at, Type type, Duration length, double pick) {
        String describe() {
            return String.format("%5.1fs %s%s", at.toMillis() / 1000.0, type,
                    length.isZero() ? "" : " for " + length.toMillis() / 1000.0 + " s");
        }
    }

    private static final Duration FIRST_ACTION = Duration.ofSeconds(10);
    /** Draws that pick each fault plan: halt after a commit, halt before one, stall one. */
    private static final List<Double> COVERED = List.of(0.1, 0.3, 0.4);
    private static final Duration BROKER_RESTART_GAP = Duration.ofSeconds(25);

    ChaosSchedule {
        actions = List.copyOf(actions);
    }

    /** The schedule of {@code options}, starting from {@code consumers} consumer processes. */
    static ChaosSchedule of(ChaosOptions options, int consumers) {
        Random random = new Random(options.seed());
        List<Action> actions = new ArrayList<>();
        long end = options.duration().toMillis() - 3_000;
        long at = FIRST_ACTION.toMillis();
        long lastBrokerRestart = -BROKER_RESTART_GAP.toMillis();
        int target = consumers;
        // Every enabled kind of fault once first, in a seeded order, so that even a short run covers them all.
        List<Type> firsts = new ArrayList<>();
        add(firsts, options.has(Fault.SIGKILL), Type.SIGKILL, 1);
        add(firsts, options.has(Fault.REBALANCE), Type.START, 1);
        add(firsts, options.has(Fault.DB_OUTAGE), Type.DB_OUTAGE, 1);
        add(firsts, options.has(Fault.BROKER_RESTART), Type.BROKER_RESTART, 1);
        Collections.shuffle(firsts, random);
        while (at < end) {
            List<Type> candidates = new ArrayList<>();
            add(candidates, options.has(Fault.SIGKILL), Type.SIGKILL, 3);
            add(candidates, options.has(Fault.REBALANCE), Type.START, 3);
            add(candidates, options.has(Fault.DB_OUTAGE), Type.DB_OUTAGE, 2);
            add(candidates, options.has(Fault.BROKER_RESTART) && at - lastBrokerRestart >= BROKER_RESTART_GAP.toMillis(),
                    Type.BROKER_RESTART, 1);
            if (candidates.isEmpty()) {
                break;
            }
            Type type = firsts.isEmpty() ? candidates.get(random.nextInt(candidates.size())) : firsts.remove(0);
            Duration length = Duration.ZERO;
            switch (type) {
                case START -> {
                    // a rebalance: one more process, or one fewer, within the bounds
                    if (target >= options.maxConsumers() || target > options.minConsumers() && random.nextBoolean()) {
                        type = Type.STOP;
                        target--;
                    } else {
                        target++;
                    }
                }
                case DB_OUTAGE -> length = Duration.ofMillis(3_000 + random.nextInt(5_000));
                case BROKER_RESTART -> {
                    length = Duration.ofMillis(3_000 + random.nextInt(3_000));
                    lastBrokerRestart = at;
                }
                default -> {
                }
            }
            actions.add(new Action(Duration.ofMillis(at), type, length, random.nextDouble()));
            at += 4_000 + random.nextInt(5_000);
        }
        return new ChaosSchedule(actions);
    }

    /** The first {@code shown} actions and how many of each type there are in all. */
    String describe(int shown) {
        if (actions.isEmpty()) {
            return "no external actions";
        }
        java.util.Map<Type, Long> counts = new java.util.EnumMap<>(Type.class);
        actions.forEach(action -> counts.merge(action.type(), 1L, Long::sum));
        String first = String.join(", ", actions.stream().limit(shown).map(Action::describe).map(String::strip).toList());
        return actions.size() <= shown ? first : first + ", ... (" + actions.size() + " actions: " + counts + ")";
    }

    private static void add(List<Type> candidates, boolean enabled, Type type, int weight) {
        if (enabled) {
            for (int i = 0; i < weight; i++) {
                candidates.add(type);
            }
        }
    }

    /**
     * The fault plan of the {@code incarnation}-th consumer process: a quarter halt right after a database commit, one
     * in ten right before one, one in eight stall a commit past {@code max.poll.interval.ms} (a zombie), the rest run
     * clean; the first three processes have one of each, early. The unsafe consumer always halts before a commit,
     * soon. Processes started while the run drains are clean.
     */
    static FaultPlan plan(ChaosOptions options, int incarnation, boolean calm) {
        if (calm || !options.has(Fault.FAULT_POINTS)) {
            return FaultPlan.NONE;
        }
        SplittableRandom random = stream(options, incarnation, 1);
        if (options.unsafeOffsetFirst()) {
            return new FaultPlan(0, 20 + random.nextInt(60), 0, Duration.ZERO);
        }
        double draw = random.nextDouble();
        long commit = 20 + random.nextInt(280);
        if (incarnation <= COVERED.size()) {
            // The first processes cover each fault point once, early, in a seeded order.
            List<Double> order = new ArrayList<>(COVERED);
            Collections.shuffle(order, new Random(options.seed()));
            draw = order.get(incarnation - 1);
            commit = 20 + random.nextInt(60);
        }
        if (draw < 0.25) {
            return new FaultPlan(commit, 0, 0, Duration.ZERO);
        }
        if (draw < 0.35) {
            return new FaultPlan(0, commit, 0, Duration.ZERO);
        }
        if (draw < 0.47) {
            return new FaultPlan(0, 0, commit, options.maxPollInterval().plusSeconds(4));
        }
        return FaultPlan.NONE;
    }

    /** How long the {@code incarnation}-th process waits before it is started as a replacement: 0.3 to 1.8 s. */
    static Duration restartDelay(ChaosOptions options, int incarnation) {
        return Duration.ofMillis(300 + stream(options, incarnation, 2).nextInt(1_500));
    }

    /** A random stream of its own per seed, process and purpose (nearby seeds of java.util.Random start alike). */
    private static SplittableRandom stream(ChaosOptions options, int incarnation, int purpose) {
        return new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + incarnation * 31L + purpose);
    }
}
