package io.dedupconsumer.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional {@link DedupGuard} as one step before the database ({@link #consult}) and one after the commit
 * ({@link #teach}). Both steps are best effort by contract: a guard that throws is a miss before and a no-op after, so
 * the guard can only spare the database work, never change a verdict the database would give.
 */
final class GuardStep {

    private static final Logger log = LoggerFactory.getLogger(GuardStep.class);

    private final DedupGuard guard;
    private final String consumerName;
    private final DedupMetrics metrics;

    GuardStep(DedupGuard guard, String consumerName, DedupMetrics metrics) {
        this.guard = guard;
        this.consumerName = consumerName;
        this.metrics = metrics;
    }

    /**
     * Decides, without the database, the records whose key and fingerprint the guard remembers: a hit is a verdict,
     * which the {@link DedupGuard} contract makes safe. A guard that throws (it must not) is a miss: the database decides.
     */
    List<Claimable> consult(List<Claimable> claims) {
        List<String> keys = new ArrayList<>(claims.size());
        for (Claimable claim : claims) {
            if (claim.decided() == null) {
                keys.add(claim.key());
            }
        }
        if (keys.isEmpty()) {
            return claims;
        }
        Map<String, DedupGuard.Remembered> known;
        try {
            known = guard.recall(consumerName, keys);
        } catch (RuntimeException e) {
            log.warn("consumer {}: the DedupGuard {} threw on recall ({}); the database decides", consumerName, guard,
                    e.toString());
            return claims;
        }
        if (known == null || known.isEmpty()) {
            return claims;
        }
        List<Claimable> decided = new ArrayList<>(claims.size());
        for (Claimable claim : claims) {
            DedupGuard.Remembered remembered = claim.decided() == null ? known.get(claim.key()) : null;
            if (remembered != null && Arrays.equals(remembered.fingerprint(), claim.fingerprint())) {
                metrics.guardHit();
                claim = claim.rememberedAs(remembered.outcome());
            }
            decided.add(claim);
        }
        return decided;
    }

    /** Teaches the guard the keys whose claims are now committed (new ones, and duplicates the database found). */
    void teach(List<Claimable> claims, List<DedupResult> results) {
        Map<String, DedupGuard.Remembered> committed = new HashMap<>();
        for (int i = 0; i < results.size(); i++) {
            DedupResult result = results.get(i);
            Outcome first = switch (result.outcome()) {
                case PROCESSED, REJECTED -> result.outcome();
                case DUPLICATE -> result.firstDelivery() == null ? null : result.firstOutcome();
                default -> null;
            };
            if (first != null) {
                committed.put(result.dedupKey(), new DedupGuard.Remembered(claims.get(i).fingerprint(), first));
            }
        }
        if (!committed.isEmpty()) {
            try {
                guard.remember(consumerName, committed);
            } catch (RuntimeException e) {
                log.warn("consumer {}: the DedupGuard {} threw on remember ({}); the records are committed all the same",
                        consumerName, guard, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return guard.toString();
    }
}
