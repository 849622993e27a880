package io.dedupconsumer.lab;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one trial measured. {@code effects}, {@code doubleEffects} and {@code missedRounds} are read from the
 * database after each round; {@code outcomes} is what the deliveries reported, kept to explain how duplicates
 * were turned away. {@code elapsed} covers the rounds only, from firing the deliveries to the last one returning.
 */
record TrialResult(
        String strategy,
        Plan plan,
        long effects,
        long doubleEffects,
        int missedRounds,
        Map<Outcome, Integer> outcomes,
        Duration elapsed) {

    /** SAFE means no round ended with its event applied more than once or not at all. */
    enum Verdict { SAFE, UNSAFE }

    TrialResult {
        outcomes = Map.copyOf(outcomes);
    }

    Verdict verdict() {
        return doubleEffects == 0 && missedRounds == 0 ? Verdict.SAFE : Verdict.UNSAFE;
    }

    int count(Outcome outcome) {
        return outcomes.getOrDefault(outcome, 0);
    }

    /** Error outcomes by kind, in declaration order, zero counts left out. */
    Map<Outcome, Integer> errors() {
        Map<Outcome, Integer> errors = new TreeMap<>();
        outcomes.forEach((outcome, n) -> {
            if (outcome.isError() && n > 0) {
                errors.put(outcome, n);
            }
        });
        return errors;
    }

    double deliveriesPerSecond() {
        long nanos = Math.max(1, elapsed.toNanos());
        return plan.deliveries() * 1e9 / nanos;
    }
}
