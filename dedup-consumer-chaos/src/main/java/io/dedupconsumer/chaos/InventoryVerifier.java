package io.dedupconsumer.chaos;

import io.dedupconsumer.chaos.DatabaseState.Claim;
import io.dedupconsumer.chaos.DatabaseState.LedgerRow;
import io.dedupconsumer.chaos.TopicModel.Decision;
import io.dedupconsumer.chaos.TopicModel.Entry;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.Refusal;
import io.dedupconsumer.examples.inventory.oracle.InventoryChecks;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Kind;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import io.dedupconsumer.kafka.DeadLetterReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Checks the inventory service's invariants after a run: a model computed from the topic ({@link TopicModel}) against
 * what the database and the dead-letter topic hold, and optionally against a consumer group's committed offsets.
 *
 * <ul>
 *   <li><b>nothing lost</b>: every record applied, refused with a recorded reason, or dead-lettered;</li>
 *   <li><b>exactly once</b>: one dedup row per unique event, claimed by its first record, with the model's decision;
 *       one ledger row per decided event, none for the others;</li>
 *   <li><b>stock</b>: every SKU's units equal the model's;</li>
 *   <li><b>offsets</b>: no committed offset ahead of its effects (every record below it is done).</li>
 * </ul>
 */
final class InventoryVerifier {

    static final String LOST = "Nothing lost (every record applied, refused with a reason, or dead-lettered)";
    static final String ONCE = "Exactly once";
    static final String STOCK = "Stock";
    static final String OFFSETS = "Committed offsets";

    /**
     * What to verify.
     *
     * @param topic the stock events topic
     * @param consumerName the dedup consumer name whose claims count
     * @param records every record of the topic
     * @param deadLetters every record of its dead-letter topic
     * @param database the database after the run
     * @param initialStock units per SKU before the first event; {@code null} to derive them from the database as stock
     *     minus the ledger's deltas
     * @param group the consumer group whose committed offsets are checked; {@code null} for none
     * @param committed that group's committed offsets, read before {@code database}; {@code null} for none
     */
    record Input(String topic, String consumerName, List<TopicRecord> records, List<DeadLetter> deadLetters,
            DatabaseState database, Map<String, Integer> initialStock, String group, Map<TopicPartition, Long> committed) {
    }

    private InventoryVerifier() {
    }

    /** Runs every check. */
    static Verification verify(Input input) {
        Verification v = new Verification();
        DatabaseState db = input.database();
        Map<String, List<DeadLetter>> letters = new HashMap<>();
        Set<String> failed = new HashSet<>();
        for (DeadLetter letter : input.deadLetters()) {
            letters.computeIfAbsent(letter.coordinates(), c -> new ArrayList<>()).add(letter);
            if (DeadLetterReason.FAILED.name().equals(letter.outcome())) {
                failed.add(letter.coordinates());
            }
        }
        Map<String, String> claimedAt = new HashMap<>();
        db.claims().forEach((key, claim) -> {
            if (input.topic().equals(claim.topic())) {
                claimedAt.put(key, claim.partition() + "@" + claim.offset());
            }
        });
        boolean derived = input.initialStock() == null;
        Map<String, Integer> initial = derived ? derivedInitialStock(db) : input.initialStock();
        TopicModel model = TopicModel.build(input.topic(), input.records(), initial, claimedAt, failed);

        v.fact(String.format("topic %s: %d records (in %d partitions); %d unique event ids, %d exact re-sends, %d same-id "
                + "conflicts, %d without a usable event id", input.topic(), input.records().size(),
                input.records().stream().mapToInt(TopicRecord::partition).distinct().count(), model.decisions().size(),
                model.count(Kind.DUPLICATE), model.count(Kind.CONFLICT), model.count(Kind.INVALID)));
        v.fact(String.format("model: %d applied, %d refused (%s), %d dead-lettered as failed; %d dead letters in %s-dlt",
                model.decided(Outcome.PROCESSED), model.decided(Outcome.REJECTED), refusals(model),
                model.decided(null), input.deadLetters().size(), input.topic()));
        v.fact(String.format("database: %d SKUs, %d ledger rows, %d dedup rows of consumer '%s'", db.stock().size(),
                db.ledger().size(), db.claims().size(), input.consumerName()));

        nothingLost(v, input, model, letters);
        exactlyOnce(v, input, model, letters);
        stock(v, model, db, derived);
        if (input.committed() != null) {
            offsets(v, input, model, letters);
        }
        if (derived) {
            v.note("initial stock derived from the database (stock minus the ledger's deltas): a stock change without its "
                    + "ledger row would not show; pass the initial stock to check that too");
        }
        if (!model.keysOnSeveralPartitions().isEmpty()) {
            v.note(model.keysOnSeveralPartitions().size() + " event id(s) found on several partitions (another record "
                    + "key): their first record is the one the database claimed");
        }
        if (!model.skusOnSeveralPartitions().isEmpty()) {
            v.note(model.skusOnSeveralPartitions().size() + " SKU(s) found on several partitions: their events' order "
                    + "is not defined, so their stock and refusals may legitimately differ from the model: "
                    + model.skusOnSeveralPartitions());
        }
        if (!failed.isEmpty()) {
            v.note(failed.size() + " record(s) dead-lettered as FAILED (the listener kept failing): nothing lost, but "
                    + "nothing applied either; the model leaves them out");
        }
        return v;
    }

    private static String refusals(TopicModel model) {
        Map<Refusal, Long> counts = new TreeMap<>();
        for (Decision decision : model.decisions().values()) {
            if (decision.refusal() != null) {
                counts.merge(decision.refusal(), 1L, Long::sum);
            }
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((refusal, count) -> parts.add(count + " " + refusal));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    /** Units per SKU before the first event, as the database implies them: stock minus the ledger's deltas. */
    static Map<String, Integer> derivedInitialStock(DatabaseState db) {
        Map<String, Long> deltas = db.ledgerDeltas();
        Map<String, Integer> initial = new TreeMap<>();
        db.stock().forEach((sku, available) -> initial.put(sku, (int) (available - deltas.getOrDefault(sku, 0L))));
        return initial;
    }

    private static void nothingLost(Verification v, Input input, TopicModel model, Map<String, List<DeadLetter>> letters) {
        Map<String, Claim> claims = input.database().claims();
        long[] expected = new long[Kind.values().length];
        long[] actual = new long[Kind.values().length];
        long refusalsToLetter = 0;
        long refusalsLettered = 0;
        for (Entry entry : model.entries()) {
            expected[entry.kind().ordinal()]++;
            String problem = problem(entry, model, claims, letters);
            if (problem == null) {
                actual[entry.kind().ordinal()]++;
            } else {
                v.example(lostCheck(entry.kind()), problem);
            }
            if (entry.kind() == Kind.FIRST) {
                Decision decision = model.decisions().get(entry.eventId());
                if (decision.refusal() != null && decision.refusal().deadLettered()) {
                    refusalsToLetter++;
                    if (letters.containsKey(entry.record().coordinates())) {
                        refusalsLettered++;
                    } else {
                        v.example("refusals dead-lettered (unknown SKU, malformed)", entry.record().coordinates()
                                + " event " + entry.eventId() + " refused " + decision.refusal() + " but not in the "
                                + "dead-letter topic");
                    }
                }
            }
        }
        for (Kind kind : Kind.values()) {
            v.check(LOST, lostCheck(kind), expected[kind.ordinal()], actual[kind.ordinal()], switch (kind) {
                case FIRST -> "an event was neither applied, refused nor dead-lettered: LOST";
                case DUPLICATE -> "a re-send found no claim of its event: its event was lost";
                case CONFLICT -> "a conflicting payload was dropped silently";
                case INVALID -> "a record without an event id was dropped silently";
            });
        }
        v.check(LOST, "refusals dead-lettered (unknown SKU, malformed)", refusalsToLetter, refusalsLettered,
                "a refusal that needs a human never reached the dead-letter topic");
    }

    private static String lostCheck(Kind kind) {
        return switch (kind) {
            case FIRST -> "first records decided (dedup row) or dead-lettered";
            case DUPLICATE -> "exact re-sends covered by their event's claim";
            case CONFLICT -> "same-id conflicts dead-lettered";
            case INVALID -> "records without a usable event id dead-lettered";
        };
    }

    /** Why {@code entry} is not done, or {@code null} when it is: what "nothing lost" means for each kind of record. */
    static String problem(Entry entry, TopicModel model, Map<String, Claim> claims, Map<String, List<DeadLetter>> letters) {
        String at = entry.record().coordinates();
        boolean lettered = letters.containsKey(at);
        return switch (entry.kind()) {
            case INVALID -> lettered ? null : at + " has no usable event id and is not in the dead-letter topic";
            case CONFLICT -> lettered ? null : at + " re-sends event " + entry.eventId() + " with another payload and is "
                    + "not in the dead-letter topic";
            case FIRST -> {
                Decision decision = model.decisions().get(entry.eventId());
                if (decision.outcome() == null || claims.containsKey(entry.eventId())) {
                    yield null;
                }
                yield at + " event " + entry.eventId() + " (" + describe(decision) + ") has no dedup row and no dead letter";
            }
            case DUPLICATE -> claims.containsKey(entry.eventId()) || lettered ? null
                    : at + " re-sends event " + entry.eventId() + ", which has no dedup row";
        };
    }

    private static String describe(Decision decision) {
        if (decision.outcome() == Outcome.PROCESSED) {
            return "should be applied, " + (decision.delta() > 0 ? "+" : "") + decision.delta() + " " + decision.sku();
        }
        return "should be refused " + decision.refusal();
    }

    private static void exactlyOnce(Verification v, Input input, TopicModel model, Map<String, List<DeadLetter>> letters) {
        DatabaseState db = input.database();
        long decided = 0;
        long claimed = 0;
        long claimedByFirst = 0;
        long asModel = 0;
        for (Decision decision : model.decisions().values()) {
            if (decision.outcome() == null) {
                continue;
            }
            decided++;
            Claim claim = db.claims().get(decision.eventId());
            if (claim == null) {
                continue;
            }
            claimed++;
            TopicRecord first = decision.first();
            boolean sameRecord = input.topic().equals(claim.topic()) && claim.partition() == first.partition()
                    && claim.offset() == first.offset();
            if (sameRecord && Arrays.equals(claim.fingerprint(), TopicModel.fingerprint(input.topic(), first))) {
                claimedByFirst++;
            } else {
                v.example("claims made by the event's first record", "event " + decision.eventId() + " first at "
                        + first.coordinates() + " but claimed by " + claim.topic() + " " + claim.partition() + "@"
                        + claim.offset() + (sameRecord ? " with another fingerprint" : ""));
            }
            boolean sameOutcome = decision.outcome().name().equals(claim.outcome());
            boolean sameReason = decision.refusal() == null
                    || claim.reason() != null && claim.reason().startsWith(decision.refusal().name() + ":");
            if (sameOutcome && sameReason) {
                asModel++;
            } else {
                v.example("decisions as the model (outcome and reason)", "event " + decision.eventId() + " at "
                        + first.coordinates() + ": model " + describe(decision) + ", database " + claim.outcome()
                        + (claim.reason() == null ? "" : " '" + claim.reason() + "'"));
            }
        }
        v.check(ONCE, "unique events with a dedup row", decided, claimed, "an event was never decided");
        v.check(ONCE, "claims made by the event's first record", claimed, claimedByFirst,
                "an event was decided on a later copy: its first record was skipped");
        v.check(ONCE, "decisions as the model (outcome and reason)", claimed, asModel,
                "a decision differs from the model (an event applied twice or out of order earlier?)");

        Map<String, List<LedgerRow>> ledger = new HashMap<>();
        for (LedgerRow row : db.ledger()) {
            ledger.computeIfAbsent(row.eventId(), e -> new ArrayList<>()).add(row);
        }
        long expectedRows = 0;
        long matching = 0;
        long rowsOfModelEvents = 0;
        List<String> doubled = new ArrayList<>();
        for (Decision decision : model.decisions().values()) {
            List<LedgerRow> rows = ledger.getOrDefault(decision.eventId(), List.of());
            rowsOfModelEvents += rows.size();
            if (rows.size() > 1) {
                doubled.add("event " + decision.eventId() + " at " + decision.first().coordinates() + " has "
                        + rows.size() + " ledger rows: " + rows);
            }
            if (decision.ledgerResult() == null) {
                if (!rows.isEmpty()) {
                    v.example("ledger rows as the model (result and delta)", "event " + decision.eventId()
                            + " should leave no ledger row (" + describe(decision) + ") but has " + rows);
                }
                continue;
            }
            expectedRows++;
            if (rows.size() == 1 && rows.get(0).result().equals(decision.ledgerResult())
                    && rows.get(0).delta() == decision.delta() && rows.get(0).sku().equals(decision.sku())) {
                matching++;
            } else {
                v.example("ledger rows as the model (result and delta)", "event " + decision.eventId() + " at "
                        + decision.first().coordinates() + ": model " + decision.ledgerResult() + " "
                        + (decision.delta() > 0 ? "+" : "") + decision.delta() + " " + decision.sku() + ", ledger " + rows);
            }
        }
        Set<String> skus = model.initialStock().keySet();
        long strangers = 0;
        for (LedgerRow row : db.ledger()) {
            if (!model.decisions().containsKey(row.eventId()) && skus.contains(row.sku())) {
                strangers++;
                v.example("ledger rows of events not in the topic", "event " + row.eventId() + ": " + row);
            }
        }
        v.check(ONCE, "ledger rows (one per applied or refused-in-stock event)", expectedRows, rowsOfModelEvents,
                "ledger rows missing or extra");
        InventoryChecks.doubledEffects(v, ONCE, doubled);
        v.check(ONCE, "ledger rows as the model (result and delta)", expectedRows, matching,
                "a ledger row differs from the model");
        v.check(ONCE, "ledger rows of events not in the topic", 0, strangers, "stock moved for an event nobody sent");
    }

    private static void stock(Verification v, TopicModel model, DatabaseState db, boolean derived) {
        InventoryChecks.stock(v, STOCK, model.stock(), db.stock());
        if (!derived) {
            InventoryChecks.ledgerBalance(v, STOCK, model.initialStock(), db.ledgerDeltas(), db.stock());
        }
    }

    private static void offsets(Verification v, Input input, TopicModel model, Map<String, List<DeadLetter>> letters) {
        Map<Integer, List<Entry>> byPartition = new TreeMap<>();
        for (Entry entry : model.entries()) {
            byPartition.computeIfAbsent(entry.record().partition(), p -> new ArrayList<>()).add(entry);
        }
        long backed = 0;
        long below = 0;
        for (Map.Entry<Integer, List<Entry>> partition : byPartition.entrySet()) {
            long committed = input.committed().getOrDefault(new TopicPartition(input.topic(), partition.getKey()), 0L);
            boolean ok = true;
            for (Entry entry : partition.getValue()) {
                if (entry.record().offset() >= committed) {
                    break;
                }
                below++;
                String problem = problem(entry, model, input.database().claims(), letters);
                if (problem != null) {
                    ok = false;
                    v.example("partitions with every effect below the committed offset", "partition "
                            + partition.getKey() + " committed at " + committed + ", but " + problem);
                }
            }
            if (ok) {
                backed++;
            }
        }
        v.fact(String.format("group %s: %d records below its committed offsets", input.group(), below));
        v.check(OFFSETS, "partitions with every effect below the committed offset", byPartition.size(), backed,
                "an offset was committed ahead of its effect (the record is lost for this group)");
    }
}
