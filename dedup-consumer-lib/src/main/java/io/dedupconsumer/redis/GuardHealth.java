package io.dedupconsumer.redis;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when the guard leaves Redis alone: after an error, and while Redis is slow. A guard slower than the database
 * costs every record its latency and saves little, so when {@value #SLOW_CALLS} of the last {@value #RECENT_CALLS}
 * calls took longer than the slow-call threshold, the guard is bypassed (every record goes to the database only). Once
 * the rest period has passed, one call at a time goes to Redis as a probe: a fast answer switches the guard on again,
 * a slow one or an error keeps it off for another rest period. One slow call (a connection being opened, a pause of
 * the JVM) never switches it off.
 *
 * <p>Meters (tag {@code prefix}): {@code dedup.guard.latency} (timer of the Redis calls), {@code dedup.guard.errors}
 * (counter), {@code dedup.guard.bypassed} (gauge: 1 while bypassed, else 0). Thread-safe.
 */
final class GuardHealth {

    static final int RECENT_CALLS = 8;
    static final int SLOW_CALLS = 4;
    private static final int RECENT_MASK = (1 << RECENT_CALLS) - 1;
    private static final Logger log = LoggerFactory.getLogger(RedisDedupGuard.class);

    private final long slowNanos;
    private final long restNanos;
    private final Timer latency;
    private final Counter errors;
    /** Read without the lock on every call; written under it. */
    private volatile boolean bypassed;
    /** One bit per recent call while not bypassed, the newest lowest: 1 = slow. */
    private int recent;
    private long probeAfter;
    private boolean probing;

    GuardHealth(Duration slowCall, Duration rest, MeterRegistry registry, String prefix) {
        this.slowNanos = slowCall.toNanos();
        this.restNanos = rest.toNanos();
        this.latency = Timer.builder("dedup.guard.latency").description("Redis guard calls that Redis answered")
                .tag("prefix", prefix).register(registry);
        this.errors = Counter.builder("dedup.guard.errors")
                .description("Redis guard calls that failed and fell back to the database")
                .tag("prefix", prefix).register(registry);
        Gauge.builder("dedup.guard.bypassed", this, health -> health.bypassed ? 1 : 0)
                .description("1 while the Redis guard is bypassed (slow or failing) and the database decides alone")
                .tag("prefix", prefix).register(registry);
    }

    /** Whether a call may go to Redis now: always while the guard is on; while bypassed, one probe per rest period. */
    boolean admit() {
        if (!bypassed) {
            return true;
        }
        synchronized (this) {
            if (!bypassed) {
                return true;
            }
            if (probing || System.nanoTime() - probeAfter < 0) {
                return false;
            }
            probing = true;
            return true;
        }
    }

    /** A call Redis answered in {@code nanos}. */
    void answered(long nanos) {
        latency.record(nanos, TimeUnit.NANOSECONDS);
        boolean slow = nanos > slowNanos;
        synchronized (this) {
            if (bypassed) {
                probing = false;
                if (slow) {
                    probeAfter = System.nanoTime() + restNanos;
                } else {
                    bypassed = false;
                    recent = 0;
                    log.info("Redis guard switched on again: a probe answered in {} ms", millis(nanos));
                }
                return;
            }
            recent = ((recent << 1) | (slow ? 1 : 0)) & RECENT_MASK;
            if (Integer.bitCount(recent) >= SLOW_CALLS) {
                bypass();
                log.warn("Redis guard switched off: {} of its last {} calls took longer than {} ms (the last {} ms), "
                        + "slower than it can save; the database decides alone, and Redis is probed again every {} ms",
                        SLOW_CALLS, RECENT_CALLS, millis(slowNanos), millis(nanos), millis(restNanos));
            }
        }
    }

    /** A call that failed: the guard is bypassed for a rest period. */
    void failed(String call, RuntimeException e) {
        errors.increment();
        synchronized (this) {
            probing = false;
            if (bypassed) {
                probeAfter = System.nanoTime() + restNanos;
                return;
            }
            bypass();
        }
        log.warn("Redis guard switched off: {} failed ({}); the database decides alone, and Redis is probed again "
                + "every {} ms", call, e.toString(), millis(restNanos));
    }

    private void bypass() {
        bypassed = true;
        probeAfter = System.nanoTime() + restNanos;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
