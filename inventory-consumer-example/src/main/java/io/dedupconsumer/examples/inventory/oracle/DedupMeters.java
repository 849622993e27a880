package io.dedupconsumer.examples.inventory.oracle;

import io.dedupconsumer.core.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a running inventory service counted, from the library's {@code dedup.records} meters: the outcomes a pass must
 * match against the oracle's. One reader for the demo and the replay/verify command.
 */
public final class DedupMeters {

    private DedupMeters() {
    }

    /** How many records the service finished with each outcome as {@code consumerName}; every outcome is present. */
    public static Map<Outcome, Long> outcomes(MeterRegistry registry, String consumerName) {
        Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            double count = 0;
            for (Counter counter : registry.find("dedup.records").tag("consumer", consumerName)
                    .tag("outcome", outcome.name()).counters()) {
                count += counter.count();
            }
            outcomes.put(outcome, Math.round(count));
        }
        return outcomes;
    }
}
