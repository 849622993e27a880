package io.dedupconsumer.kafka;

import java.time.Duration;

/** Exponential backoff: {@code initial * multiplier^(attempt-1)}, capped at {@code max}. */
record Backoff(Duration initial, double multiplier, Duration max) {

    /** The pause after the {@code attempt}-th consecutive failure (1-based). */
    Duration delay(int attempt) {
        double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }
}
