package io.dedupconsumer.lab;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Extra time a delivery spends between writing its effect and committing it, as a handler that does more work in
 * its transaction would. It widens every check-then-act window by the same amount at the same place in every
 * strategy, so racy strategies race more often and safe ones only get slower; it never decides an outcome.
 *
 * <p>The pause parks the thread ({@link LockSupport#parkNanos}) rather than sleeping: it needs no interrupt
 * handling and, looped to a deadline, is immune to early wake-ups.
 */
record RaceWindow(Duration length) {

    static final RaceWindow NONE = new RaceWindow(Duration.ZERO);

    RaceWindow {
        if (length.isNegative()) {
            throw new IllegalArgumentException("race window must not be negative, was " + length);
        }
    }

    static RaceWindow ofMillis(long millis) {
        return new RaceWindow(Duration.ofMillis(millis));
    }

    /** Holds the calling thread, and whatever locks its transaction holds, for the window's length. */
    void pause() {
        long deadline = System.nanoTime() + length.toNanos();
        for (long left = length.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    @Override
    public String toString() {
        return length.toMillis() + " ms";
    }
}
