package io.dedupconsumer.chaos;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Where one consumer process will fail, counted in database commits of its listener threads: halt the JVM
 * right after the N-th commit (the record's transaction committed, its offset not: the window the dedup claim exists
 * for), halt right before the N-th commit (the transaction never commits), or stall the N-th commit for longer than
 * {@code max.poll.interval.ms} while holding its locks (the group evicts the process and moves its partitions while it
 * still finishes its batch: a zombie).
 *
 * <p>Halting is {@link Runtime#halt(int)} with 137, the exit code of a SIGKILL: no shutdown hook, no finally block, no
 * offset commit runs. Each firing prints a {@code CHAOS-FAULT} line first, which the orchestrator counts.
 *
 * @param haltAfterCommit halt right after this commit; 0 never
 * @param haltBeforeCommit halt right before this commit; 0 never
 * @param stallBeforeCommit stall right before this commit; 0 never
 * @param stall how long the stall lasts
 */
record FaultPlan(long haltAfterCommit, long haltBeforeCommit, long stallBeforeCommit, Duration stall) {

    static final String MARKER = "CHAOS-FAULT";
    static final int HALT_EXIT_CODE = 137;
    private static final String CONSUMER_THREAD = "-C-";
    static final FaultPlan NONE = new FaultPlan(0, 0, 0, Duration.ZERO);

    FaultPlan {
        if (haltAfterCommit < 0 || haltBeforeCommit < 0 || stallBeforeCommit < 0 || stall.isNegative()) {
            throw new IllegalArgumentException("chaos.fault.*: commit numbers and the stall must not be negative");
        }
    }

    boolean any() {
        return haltAfterCommit > 0 || haltBeforeCommit > 0 || stallBeforeCommit > 0;
    }

    /** The spring arguments that arm this plan in a {@link ChaosConsumerApplication}. */
    java.util.List<String> args() {
        return java.util.List.of("--chaos.fault.halt-after-commit=" + haltAfterCommit,
                "--chaos.fault.halt-before-commit=" + haltBeforeCommit,
                "--chaos.fault.stall-before-commit=" + stallBeforeCommit,
                "--chaos.fault.stall=" + stall);
    }

    /** A short description for the orchestrator's log. */
    String describe() {
        if (haltAfterCommit > 0) {
            return "halts after DB commit #" + haltAfterCommit;
        }
        if (haltBeforeCommit > 0) {
            return "halts before DB commit #" + haltBeforeCommit;
        }
        if (stallBeforeCommit > 0) {
            return "stalls " + stall.toSeconds() + " s in DB commit #" + stallBeforeCommit;
        }
        return "no fault";
    }

    /** Counts commits and fires the plan; one per process. */
    static final class Trigger {

        private final FaultPlan plan;
        private final AtomicLong commits = new AtomicLong();
        private volatile boolean armed;

        Trigger(FaultPlan plan) {
            this.plan = plan;
        }

        /** From now on commits count (the service is ready; Flyway's commits at start-up do not). */
        void arm() {
            armed = true;
        }

        /**
         * Called before a commit; returns its number, or 0 for a commit that does not count: before the service was
         * ready (Flyway), or on a thread that is not a listener container's consumer thread (spring-kafka names them
         * {@code <container>-<n>-C-<n>}; the dedup table's scheduled purge, for instance, commits on its own thread).
         */
        long beforeCommit() {
            if (!armed || !Thread.currentThread().getName().contains(CONSUMER_THREAD)) {
                return 0;
            }
            long n = commits.incrementAndGet();
            if (n == plan.haltBeforeCommit()) {
                halt("halt-before-commit", n);
            }
            if (n == plan.stallBeforeCommit()) {
                announce("stall-before-commit", n);
                LockSupport.parkNanos(plan.stall().toNanos());
                announce("stall-over", n);
            }
            return n;
        }

        /** Called after commit number {@code n} returned. */
        void afterCommit(long n) {
            if (n > 0 && n == plan.haltAfterCommit()) {
                halt("halt-after-commit", n);
            }
        }

        long commits() {
            return commits.get();
        }

        private static void halt(String what, long n) {
            announce(what, n);
            Runtime.getRuntime().halt(HALT_EXIT_CODE);
        }

        private static void announce(String what, long n) {
            System.out.println(MARKER + " " + what + " commit=" + n + " thread=" + Thread.currentThread().getName()
                    + " at=" + java.time.LocalTime.now());
            System.out.flush();
        }
    }
}
