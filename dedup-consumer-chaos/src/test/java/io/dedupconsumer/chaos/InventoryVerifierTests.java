package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.chaos.DatabaseState.Claim;
import io.dedupconsumer.chaos.DatabaseState.LedgerRow;
import io.dedupconsumer.examples.inventory.StockEvent;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Kind;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The verifier on a small topic whose every record is known: what a correct run leaves passes, and each way of
 * breaking the guarantee is named.
 */
class InventoryVerifierTests {

    private static final String TOPIC = "stock";
    private static final Instant AT = Instant.parse("2026-01-05T08:00:00Z");

    private final List<TopicRecord> records = List.of(
            record(0, "A", StockEvent.deduct("e1", "o1", "A", 4, AT).toJson()),
            record(1, "A", StockEvent.deduct("e1", "o1", "A", 4, AT).toJson()),
            record(2, "A", StockEvent.deduct("e2", "o2", "A", 8, AT).toJson()),
            record(3, "A", StockEvent.deduct("e1", "o1", "A", 5, AT).toJson()),
            record(4, "A", "not JSON"),
            record(5, "A", StockEvent.cancel("e3", "o1", "A", AT).toJson()),
            record(6, "Z", StockEvent.restock("e4", "Z", 3, AT).toJson()),
            record(7, "A", StockEvent.cancel("e5", "o1", "A", AT).toJson()));

    private final Map<String, Integer> stock = new HashMap<>(Map.of("A", 10));
    private final List<LedgerRow> ledger = new ArrayList<>(List.of(
            new LedgerRow("e1", "A", -4, "APPLIED"),
            new LedgerRow("e2", "A", 0, "OUT_OF_STOCK"),
            new LedgerRow("e3", "A", 4, "APPLIED"),
            new LedgerRow("e5", "A", 0, "NOTHING_TO_CANCEL")));
    private final Map<String, Claim> claims = new HashMap<>(Map.of(
            "e1", claim("e1", 0, "PROCESSED", null),
            "e2", claim("e2", 2, "REJECTED", "OUT_OF_STOCK: 8 units of A"),
            "e3", claim("e3", 5, "PROCESSED", null),
            "e4", claim("e4", 6, "REJECTED", "UNKNOWN_SKU: 'Z' is not in the stock table"),
            "e5", claim("e5", 7, "REJECTED", "NOTHING_TO_CANCEL: order o1")));
    private final List<DeadLetter> letters = new ArrayList<>(List.of(
            new DeadLetter(0, 3, "CONFLICT", "another payload"),
            new DeadLetter(0, 4, "INVALID", "no dedup key"),
            new DeadLetter(0, 6, "REJECTED", "UNKNOWN_SKU")));
    private Map<TopicPartition, Long> committed = Map.of(new TopicPartition(TOPIC, 0), 8L);

    @Test
    void whatACorrectRunLeavesPassesEveryCheck() {
        Verification verification = verify();

        assertThat(verification.failures()).isEmpty();
        assertThat(verification.checks()).hasSizeGreaterThan(10);
    }

    @Test
    void aDeductionAppliedTwiceIsReportedWithItsEvent() {
        ledger.add(new LedgerRow("e1", "A", -4, "APPLIED"));
        stock.put("A", 6);

        Verification verification = verify();

        assertThat(names(verification)).contains("events with more than one ledger row", "SKUs whose stock equals the model");
        assertThat(verification.violations()).anyMatch(v -> v.contains("event e1 at 0@0 has 2 ledger rows"))
                .anyMatch(v -> v.contains("A: model 10, database 6"));
    }

    @Test
    void anEventWithNeitherClaimNorDeadLetterBelowTheCommittedOffsetIsReportedLost() {
        claims.remove("e3");
        ledger.removeIf(row -> row.eventId().equals("e3"));
        stock.put("A", 6);

        Verification verification = verify();

        assertThat(names(verification)).contains("first records decided (dedup row) or dead-lettered",
                "partitions with every effect below the committed offset");
        assertThat(verification.violations()).anyMatch(v -> v.contains("0@5 event e3 (should be applied, +4 A) has no "
                + "dedup row and no dead letter"));
    }

    @Test
    void aConflictOrAKeylessRecordMissingFromTheDeadLetterTopicIsReported() {
        letters.removeIf(letter -> letter.originalOffset() == 3 || letter.originalOffset() == 4);

        Verification verification = verify();

        assertThat(names(verification)).contains("same-id conflicts dead-lettered",
                "records without a usable event id dead-lettered");
    }

    @Test
    void aRefusalThatShouldHaveBeenAnApplicationIsReported() {
        claims.put("e3", claim("e3", 5, "REJECTED", "NOTHING_TO_CANCEL: order o1"));

        assertThat(names(verify())).contains("decisions as the model (outcome and reason)");
    }

    @Test
    void anEventDecidedOnALaterCopyIsReported() {
        claims.put("e1", claim("e1", 1, "PROCESSED", null));

        assertThat(verify().violations()).anyMatch(v -> v.contains("event e1 first at 0@0 but claimed by stock 0@1"));
    }

    @Test
    void theModelAppliesTheServicesRulesInPartitionOrder() {
        TopicModel model = TopicModel.build(TOPIC, records, Map.of("A", 10), Map.of(), java.util.Set.of());

        assertThat(model.stock()).containsEntry("A", 10);
        assertThat(model.count(Kind.DUPLICATE)).isOne();
        assertThat(model.count(Kind.CONFLICT)).isOne();
        assertThat(model.count(Kind.INVALID)).isOne();
        assertThat(model.decisions().get("e2").refusal()).hasToString("OUT_OF_STOCK");
        assertThat(model.decisions().get("e3").delta()).isEqualTo(4);
        assertThat(model.decisions().get("e4").refusal()).hasToString("UNKNOWN_SKU");
        assertThat(model.decisions().get("e5").refusal()).hasToString("NOTHING_TO_CANCEL");
    }

    private Verification verify() {
        return InventoryVerifier.verify(new InventoryVerifier.Input(TOPIC, "inventory", records, letters,
                new DatabaseState(stock, ledger, claims), Map.of("A", 10), "group", committed));
    }

    private static List<String> names(Verification verification) {
        return verification.failures().stream().map(Verification.Check::name).map(String::strip).toList();
    }

    private Claim claim(String key, long offset, String outcome, String reason) {
        TopicRecord record = records.get((int) offset);
        return new Claim(key, TopicModel.fingerprint(TOPIC, record), outcome, reason, TOPIC, 0, offset);
    }

    private static TopicRecord record(long offset, String key, String value) {
        return new TopicRecord(0, offset, key, value);
    }
}
