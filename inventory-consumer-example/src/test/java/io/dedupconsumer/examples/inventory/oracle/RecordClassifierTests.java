package io.dedupconsumer.examples.inventory.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.examples.inventory.StockEvent;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Classified;
import io.dedupconsumer.examples.inventory.oracle.RecordClassifier.Kind;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordClassifierTests {

    private static final Instant AT = Instant.parse("2026-01-05T08:00:00Z");

    private final RecordClassifier classifier = new RecordClassifier();
    private long offset;

    @Test
    void theFirstRecordOfAKeyIsDecidedAndAnExactReSendIsADuplicate() {
        String value = StockEvent.deduct("e1", "o1", "A", 3, AT).toJson();

        assertThat(classify(value)).isEqualTo(new Classified(Kind.FIRST, "e1"));
        assertThat(classify(value)).isEqualTo(new Classified(Kind.DUPLICATE, "e1"));
        assertThat(classify(StockEvent.deduct("e2", "o1", "A", 3, AT).toJson())).isEqualTo(new Classified(Kind.FIRST, "e2"));
    }

    @Test
    void theSameKeyWithAnotherPayloadIsAConflictAndTheFirstPayloadStaysTheReference() {
        String first = StockEvent.deduct("e1", "o1", "A", 3, AT).toJson();
        classify(first);

        assertThat(classify(StockEvent.deduct("e1", "o1", "A", 4, AT).toJson())).isEqualTo(new Classified(Kind.CONFLICT, "e1"));
        assertThat(classify(first).kind()).isEqualTo(Kind.DUPLICATE);
    }

    @Test
    void theSamePayloadWithOtherWhitespaceIsAConflictBecauseTheFingerprintIsOfTheBytes() {
        classify("{\"eventId\":\"e1\",\"type\":\"RESTOCK\"}");

        assertThat(classify("{\"eventId\": \"e1\",\"type\":\"RESTOCK\"}").kind()).isEqualTo(Kind.CONFLICT);
    }

    @Test
    void aRefusedEventSentAgainIsADuplicateOfItsRefusalNotANewDecision() {
        String malformed = "{\"eventId\":\"b1\",\"type\":\"TELEPORT\"}";

        assertThat(classify(malformed).kind()).isEqualTo(Kind.FIRST);
        assertThat(classify(malformed).kind()).isEqualTo(Kind.DUPLICATE);
    }

    @Test
    void aRecordWithoutAUsableKeyIsInvalidEveryTime() {
        for (String value : new String[] {"not json", "{\"type\":\"DEDUCT\"}", "{\"eventId\":\"\"}",
            "{\"eventId\":null}", "{\"eventId\":\"" + "x".repeat(256) + "\"}", "{\"eventId\":\"a\\u0000b\"}",
            "{\"eventId\":\"a\\ufffdb\"}", "{\"eventId\":\"a\",\"eventId\":\"b\"}", null}) {
            assertThat(classify(value)).as(String.valueOf(value)).isEqualTo(new Classified(Kind.INVALID, null));
            assertThat(classify(value).kind()).isEqualTo(Kind.INVALID);
        }
    }

    @Test
    void aKeyOfTheLongestLengthTheTableHoldsIsUsable() {
        String key = "é".repeat(255);

        assertThat(classify("{\"eventId\":\"" + key + "\"}")).isEqualTo(new Classified(Kind.FIRST, key));
        assertThat(RecordClassifier.key(record("{\"eventId\":\"\uD834\uDD1E\"}"))).isEqualTo("\uD834\uDD1E");
    }

    private Classified classify(String value) {
        return classifier.classify(record(value));
    }

    private ConsumerRecord<String, String> record(String value) {
        return new ConsumerRecord<>("stock-events", 0, offset++, "A", value);
    }
}
