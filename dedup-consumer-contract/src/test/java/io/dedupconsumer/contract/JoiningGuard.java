package io.dedupconsumer.contract;

import io.dedupconsumer.core.DedupGuard;
import io.dedupconsumer.core.DedupGuard.Remembered;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A mistake the contract must catch: entries keyed by {@code consumer + ":" + key} in UTF-8, so that joins are
 * ambiguous and lone surrogates become '?'.
 * Run only by {@link ContractsCatchBrokenImplementationsTests}; Surefire does not pick it up by its name.
 */
class JoiningGuard extends DedupGuardContract {

    private static final Map<String, Remembered> ENTRIES = new ConcurrentHashMap<>();

    private static final DedupGuard GUARD = new DedupGuard() {
        @Override
        public Map<String, Remembered> recall(String consumerName, Collection<String> dedupKeys) {
            Map<String, Remembered> known = new HashMap<>();
            dedupKeys.forEach(key -> {
                Remembered entry = ENTRIES.get(entryKey(consumerName, key));
                if (entry != null) {
                    known.put(key, entry);
                }
            });
            return known;
        }

        @Override
        public void remember(String consumerName, Map<String, Remembered> entries) {
            entries.forEach((key, entry) -> ENTRIES.put(entryKey(consumerName, key), entry));
        }

        private String entryKey(String consumerName, String key) {
            return new String((consumerName + ":" + key).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        }
    };

    @Override
    protected DedupGuard guard() {
        return GUARD;
    }
}
