package io.dedupconsumer.kafka;

import io.dedupconsumer.core.InvalidSettingException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Exponential backoff: {@code initial * multiplier^(attempt-1)}, capped at {@code max}. */
record Backoff(Duration initial, double multiplier, Duration max) {

    /**
     * The backoff of a runner's {@code retryBackoff} setting.
     *
     * @throws InvalidSettingException naming {@code retryBackoff} for a non-positive initial, a multiplier below 1 or a
     *     max below initial
     */
    static Backoff of(@Nullable Duration initial, double multiplier, @Nullable Duration max) {
        if (initial == null || initial.isNegative() || initial.isZero()) {
            throw new InvalidSettingException("retryBackoff", initial, "initial must be positive, was " + initial);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new InvalidSettingException("retryBackoff", multiplier, "multiplier must be at least 1.0, was " + multiplier);
        }
        if (max == null || max.compareTo(initial) < 0) {
            throw new InvalidSettingException("retryBackoff", max, "max must be at least initial (" + initial + "), was " + max);
        }
        return new Backoff(initial, multiplier, max);
    }

    /** The pause after the {@code attempt}-th consecutive failure (1-based). */
    Duration delay(int attempt) {
        double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }
}
