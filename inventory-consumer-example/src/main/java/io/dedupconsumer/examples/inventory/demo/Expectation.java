package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier;
import io.dedupconsumer.examples.inventory.oracle.StockModel;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the run must end with, computed from the records the workload sends, independently of the service's SQL and of
 * the labels the generator gave them: each record classified by the shared {@link RecordClassifier} (the library's
 * own dedup key and fingerprint), the unique events (the first record of each event id) applied in per-SKU order by the
 * shared {@link StockModel}, every later copy a duplicate or a conflict, nothing applied by the replay.
 *
 * @param stock final units per seeded SKU
 * @param ledger ledger rows by result ({@code APPLIED}, {@code OUT_OF_STOCK}, {@code NOTHING_TO_CANCEL})
 * @param refusals recorded refusals by reason
 * @param live outcomes of the live pass
 * @param replay outcomes of the replay
 * @param deadLettersLive records dead-lettered by the live pass
 * @param deadLettersReplay records dead-lettered by the replay (no-key records and conflicts, again)
 * @param deadLetterOutcomes dead letters of both passes by their {@code dedup-outcome} header
 */
record Expectation(Map<String, Integer> stock, Map<String, Long> ledger, Map<Refusal, Long> refusals,
        Map<Outcome, Long> live, Map<Outcome, Long> replay, long deadLettersLive, long deadLettersReplay,
        Map<String, Long> deadLetterOutcomes) {

    /** The topic name the classifier sees; the event id key does not depend on it. */
    private static final String TOPIC = "stock-events";

    /** Runs the oracle over the workload's records in send order (which is, per SKU, partition order). */
    static Expectation of(Workload workload) {
        Map<String, Integer> initial = new TreeMap<>();
        for (String sku : workload.skus()) {
            initial.put(sku, workload.initialStock());
        }
        StockModel model = new StockModel(initial);
        RecordClassifier classifier = new RecordClassifier();
        Map<String, Long> ledger = new LinkedHashMap<>();
        StockModel.LEDGER_RESULTS.forEach(result -> ledger.put(result, 0L));
        Map<Refusal, Long> refusals = zeros(Refusal.class);
        Map<Outcome, Long> live = zeros(Outcome.class);
        Map<Outcome, Long> replay = zeros(Outcome.class);
        long deadLettersLive = 0;
        long deadLettersReplay = 0;
        Map<String, Long> deadLetterOutcomes = new TreeMap<>();
        long offset = 0;
        for (Workload.Sent sent : workload.records()) {
            ConsumerRecord<String, String> record = new ConsumerRecord<>(TOPIC, 0, offset++, sent.key(), sent.value());
            RecordClassifier.Kind kind = classifier.classify(record).kind();
            if (kind != RecordClassifier.Kind.FIRST) {
                // INVALID, CONFLICT and DUPLICATE come out the same in both passes; the first two are dead-lettered.
                Outcome outcome = Outcome.valueOf(kind.name());
                live.merge(outcome, 1L, Long::sum);
                replay.merge(outcome, 1L, Long::sum);
                if (kind != RecordClassifier.Kind.DUPLICATE) {
                    deadLettersLive++;
                    deadLettersReplay++;
                    deadLetterOutcomes.merge(outcome.name(), 2L, Long::sum);
                }
                continue;
            }
            // The replay finds every first record's claim: a duplicate of whatever the live pass decided.
            replay.merge(Outcome.DUPLICATE, 1L, Long::sum);
            StockModel.Effect effect = model.apply(sent.value());
            live.merge(effect.outcome(), 1L, Long::sum);
            if (effect.ledgerResult() != null) {
                ledger.merge(effect.ledgerResult(), 1L, Long::sum);
            }
            Refusal refusal = effect.refusal();
            if (refusal != null) {
                refusals.merge(refusal, 1L, Long::sum);
                if (refusal.deadLettered()) {
                    deadLettersLive++;
                    deadLetterOutcomes.merge(Outcome.REJECTED.name(), 1L, Long::sum);
                }
            }
        }
        return new Expectation(new TreeMap<>(model.stock()), ledger, refusals, live, replay, deadLettersLive,
                deadLettersReplay, deadLetterOutcomes);
    }

    /** Records sent, which is also what each pass must consume. */
    long records() {
        return live.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Rows the dedup table must hold for the run: one per event id, applied or refused. */
    long claims() {
        return live.get(Outcome.PROCESSED) + live.get(Outcome.REJECTED);
    }

    long ledgerRows() {
        return ledger.values().stream().mapToLong(Long::longValue).sum();
    }

    private static <E extends Enum<E>> Map<E, Long> zeros(Class<E> type) {
        Map<E, Long> map = new EnumMap<>(type);
        for (E value : type.getEnumConstants()) {
            map.put(value, 0L);
        }
        return map;
    }
}
