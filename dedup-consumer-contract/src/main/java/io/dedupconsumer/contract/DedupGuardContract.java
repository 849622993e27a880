package io.dedupconsumer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.dedupconsumer.core.DedupGuard;
import io.dedupconsumer.core.DedupGuard.Remembered;
import io.dedupconsumer.core.Outcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of a {@link DedupGuard}, as tests the author of a guard (another cache, another Redis client, a
 * different encoding) runs against it. A guard's hit is a verdict the database is never asked about, so a guard that
 * answers for the wrong consumer, the wrong key or with another fingerprint drops events silently; these tests pin the
 * ways that happens: keys or consumer names that join to the same text, keys that a text encoding cannot tell apart,
 * fingerprints bent on the way through. The library's build runs it against {@code RedisDedupGuard} on a real Redis.
 *
 * <pre>{@code
 * class OurGuardKeepsTheGuardContractTests extends DedupGuardContract {
 *     @Override
 *     protected DedupGuard guard() {
 *         return OUR_GUARD; // connected to the real store it uses in production
 *     }
 * }
 * }</pre>
 *
 * <p>Each test uses consumer names of its own (a random prefix), so one guard and one store serve every run; the guard
 * must be healthy (reachable and fast) while the tests run, since a guard that misses is allowed to forget.
 */
public abstract class DedupGuardContract {

    private String consumer;
    private DedupGuard guard;

    /** The guard under test, connected to its real store. Called before every test; return the same one each time. */
    protected abstract DedupGuard guard();

    @BeforeEach
    final void prepare() {
        consumer = "guard-contract-" + UUID.randomUUID() + "-";
        guard = guard();
    }

    @Test
    void aRememberedKeyIsRecalledWithItsFingerprintAndOutcome() {
        Remembered processed = new Remembered(bytes(1, 2, 3), Outcome.PROCESSED);
        Remembered rejected = new Remembered(bytes(4, 5, 6), Outcome.REJECTED);
        guard.remember(consumer + "orders", Map.of("order-1", processed, "order-2", rejected));

        Map<String, Remembered> recalled = guard.recall(consumer + "orders", List.of("order-1", "order-2"));

        assertThat(recalled).containsOnlyKeys("order-1", "order-2");
        assertSame(recalled.get("order-1"), processed);
        assertSame(recalled.get("order-2"), rejected);
    }

    @Test
    void aKeyNeverRememberedIsAbsentNotAnEntryWithoutAFingerprint() {
        guard.remember(consumer + "orders", Map.of("order-1", new Remembered(bytes(1), Outcome.PROCESSED)));

        assertThat(guard.recall(consumer + "orders", List.of("order-2", "order-1 ", "Order-1"))).isEmpty();
    }

    /** The deduplicator counts a hit only when the fingerprint equals the record's: every byte value must survive. */
    @Test
    void theFingerprintComesBackByteForByte() {
        Map<String, Remembered> entries = new HashMap<>();
        for (int start = 0; start < 256; start += 32) {
            byte[] fingerprint = new byte[32];
            for (int i = 0; i < 32; i++) {
                fingerprint[i] = (byte) (start + i);
            }
            entries.put("bytes-from-" + start, new Remembered(fingerprint, Outcome.PROCESSED));
        }
        guard.remember(consumer + "orders", entries);

        Map<String, Remembered> recalled = guard.recall(consumer + "orders", entries.keySet());

        assertThat(recalled).containsOnlyKeys(entries.keySet());
        entries.forEach((key, remembered) -> assertSame(recalled.get(key), remembered));
    }

    @Test
    void oneRecallAnswersEachKnownKeyOfManyAndLeavesOutTheRest() {
        Map<String, Remembered> even = new HashMap<>();
        IntStream.range(0, 500).filter(i -> i % 2 == 0)
                .forEach(i -> even.put("event-" + i, new Remembered(bytes(i % 128), Outcome.PROCESSED)));
        guard.remember(consumer + "orders", even);

        Map<String, Remembered> recalled = guard.recall(consumer + "orders",
                IntStream.range(0, 500).mapToObj(i -> "event-" + i).toList());

        assertThat(recalled).containsOnlyKeys(even.keySet());
    }

    /** {consumer, key} pairs whose joined text is the same under a separator: only a lossless encoding keeps them apart. */
    @Test
    void consumerNamesAndKeysThatJoinToTheSameTextNeverReadEachOthersEntries() {
        String[][] pairs = {{"a", "b:c", "a:b", "c"}, {"x:", ":y", "x::", "y"}, {"a", ":b", "a:", "b"},
            {"orders", "eu/17", "orders/eu", "17"}, {"n", "", "", "n"}};
        Remembered entry = new Remembered(bytes(9), Outcome.PROCESSED);
        for (String[] pair : pairs) {
            guard.remember(consumer + pair[0], Map.of(pair[1], entry));

            assertThat(guard.recall(consumer + pair[2], List.of(pair[3])))
                    .as("consumer '%s' key '%s' after consumer '%s' key '%s'", pair[2], pair[3], pair[0], pair[1])
                    .isEmpty();
        }
    }

    @Test
    void keysThatUtf8CannotTellApartAreDistinct() {
        // Lone surrogates have no UTF-8 form: an encoder replaces each with '?' (or U+FFFD), so they would collide.
        guard.remember(consumer + "s", Map.of("lone-\uD800", new Remembered(bytes(1), Outcome.PROCESSED)));

        assertThat(guard.recall(consumer + "s", List.of("lone-\uD800"))).containsOnlyKeys("lone-\uD800");
        assertThat(guard.recall(consumer + "s", List.of("lone-?", "lone-\uDBFF", "lone-\uFFFD"))).isEmpty();
    }

    @Test
    void keysThatDifferOnlyInCaseAccentsOrTrailingSpaceAreDistinct() {
        guard.remember(consumer + "s", Map.of("order-1", new Remembered(bytes(1), Outcome.PROCESSED)));

        assertThat(guard.recall(consumer + "s", List.of("ORDER-1", "order-1 ", "ordér-1", "order-\uFF11", "order-1\0")))
                .isEmpty();
    }

    @Test
    void emptyCallsAnswerNothingAndNeverThrow() {
        assertThatCode(() -> guard.remember(consumer + "s", Map.of())).doesNotThrowAnyException();
        assertThat(guard.recall(consumer + "s", List.of())).isEmpty();
    }

    private static void assertSame(Remembered actual, Remembered expected) {
        assertThat(actual.outcome()).isEqualTo(expected.outcome());
        assertThat(actual.fingerprint()).containsExactly(expected.fingerprint());
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }
}
