package io.dedupconsumer.contract;

import io.dedupconsumer.core.DedupGuard;
import io.dedupconsumer.core.DedupGuard.Remembered;
import io.dedupconsumer.core.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A mistake the contract must catch: each fingerprint kept as UTF-8 text, which replaces the bytes that are not
 * valid UTF-8.
 * Run only by {@link ContractsCatchBrokenImplementationsTests}; Surefire does not pick it up by its name.
 */
class TextFingerprintGuard extends DedupGuardContract {

    private static final Map<String, String> ENTRIES = new ConcurrentHashMap<>();

    private static final DedupGuard GUARD = new DedupGuard() {
        @Override
        public Map<String, Remembered> recall(String consumerName, Collection<String> dedupKeys) {
            Map<String, Remembered> known = new HashMap<>();
            dedupKeys.forEach(key -> {
                String entry = ENTRIES.get(consumerName.length() + "/" + consumerName + key);
                if (entry != null) {
                    int colon = entry.indexOf(':');
                    known.put(key, new Remembered(entry.substring(colon + 1).getBytes(StandardCharsets.UTF_8),
                            Outcome.valueOf(entry.substring(0, colon))));
                }
            });
            return known;
        }

        @Override
        public void remember(String consumerName, Map<String, Remembered> entries) {
            entries.forEach((key, entry) -> ENTRIES.put(consumerName.length() + "/" + consumerName + key,
                    entry.outcome() + ":" + new String(entry.fingerprint(), StandardCharsets.UTF_8)));
        }
    };

    @Override
    protected DedupGuard guard() {
        return GUARD;
    }
}
