package io.dedupconsumer.examples.inventory.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkloadTests {

    private final DemoOptions options = DemoOptions.parse("--events=1000", "--skus=5", "--duplicates=0.3",
            "--conflicts=7", "--bad=9", "--seed=11");

    @Test
    void theSameSeedGivesTheSameWorkload() {
        assertThat(Workload.generate(options, "run1").records()).isEqualTo(Workload.generate(options, "run1").records());
        assertThat(Workload.generate(DemoOptions.parse("--seed=12"), "run1").records())
                .isNotEqualTo(Workload.generate(DemoOptions.parse("--seed=11"), "run1").records());
    }

    @Test
    void itHoldsTheAskedMixOfUniqueEventsDuplicatesConflictsAndBadRecords() {
        Map<Workload.Kind, Integer> counts = Workload.generate(options, "run1").counts();

        assertThat(counts.get(Workload.Kind.EVENT)).isEqualTo(1000);
        assertThat(counts.get(Workload.Kind.CONFLICT)).isEqualTo(7);
        assertThat(counts.get(Workload.Kind.UNKNOWN_SKU) + counts.get(Workload.Kind.MALFORMED)
                + counts.get(Workload.Kind.NO_KEY)).isEqualTo(9);
        // 30% of the records that carry an event id (1000 events, 6 bad ones with an id)
        assertThat(counts.get(Workload.Kind.DUPLICATE)).isEqualTo(302);
    }

    @Test
    void everyCopyComesAfterItsOriginalUnderTheSameKey() {
        Map<String, Workload.Sent> originals = new HashMap<>();
        for (Workload.Sent sent : Workload.generate(options, "run1").records()) {
            if (sent.eventId() == null) {
                continue;
            }
            Workload.Sent original = originals.putIfAbsent(sent.eventId(), sent);
            if (original == null) {
                assertThat(sent.kind()).isIn(Workload.Kind.EVENT, Workload.Kind.UNKNOWN_SKU, Workload.Kind.MALFORMED);
            } else {
                assertThat(sent.kind()).isIn(Workload.Kind.DUPLICATE, Workload.Kind.CONFLICT);
                assertThat(sent.key()).isEqualTo(original.key());
                if (sent.kind() == Workload.Kind.DUPLICATE) {
                    assertThat(sent.value()).isEqualTo(original.value());
                } else {
                    assertThat(sent.value()).isNotEqualTo(original.value());
                }
            }
        }
    }

    @Test
    void namesCarryTheRunIdSoRunsNeverCollide() {
        Workload workload = Workload.generate(options, "abc12");
        Set<String> prefixes = new HashSet<>();
        workload.skus().forEach(sku -> prefixes.add(sku.substring(0, 6)));
        workload.records().stream().filter(sent -> sent.eventId() != null)
                .forEach(sent -> prefixes.add(sent.eventId().substring(0, 6)));
        assertThat(prefixes).containsExactly("abc12-");
    }
}
