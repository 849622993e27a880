package io.dedupconsumer.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.expression.spel.SpelEvaluationException;

/** The SpEL dedup key: what an expression can read, and what it cannot do with data from the network. */
class KeyExpressionTests {

    private static ConsumerRecord<String, Object> record(Object value) {
        ConsumerRecord<String, Object> record = new ConsumerRecord<>("orders", 2, 41L, "order-7", value);
        record.headers().add("event-id", "evt-1".getBytes(StandardCharsets.UTF_8));
        return record;
    }

    @Test
    void readsHeadersTheRecordKeyAndTheRecordCoordinates() throws Exception {
        assertThat(KeyExpression.parse("headers['event-id']").of(record("x"))).isEqualTo("evt-1");
        assertThat(KeyExpression.parse("key").of(record("x"))).isEqualTo("order-7");
        assertThat(KeyExpression.parse("topic + '-' + partition + '@' + offset").of(record("x"))).isEqualTo("orders-2@41");
        assertThat(KeyExpression.parse("record.key().toUpperCase()").of(record("x"))).isEqualTo("ORDER-7");
    }

    @Test
    void readsFieldsOfMapAndObjectPayloads() throws Exception {
        assertThat(KeyExpression.parse("payload.orderId").of(record(Map.of("orderId", 12)))).isEqualTo("12");
        assertThat(KeyExpression.parse("payload.orderId + ':' + payload.status").of(record(new Order("o-9", "PAID"))))
                .isEqualTo("o-9:PAID");
    }

    @Test
    void aMissingValueIsNoKey() throws Exception {
        assertThat(KeyExpression.parse("headers['absent']").of(record("x"))).isNull();
    }

    @Test
    void refusesTypeReferencesBecauseTheDataComesFromTheNetwork() {
        assertThatThrownBy(() -> KeyExpression.parse("T(java.lang.Runtime).getRuntime().availableProcessors()")
                .of(record("x"))).isInstanceOf(SpelEvaluationException.class);
    }

    @Test
    void refusesAnInvalidExpressionWithTheReason() {
        assertThatThrownBy(() -> KeyExpression.parse("payload.(")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payload.(");
    }

    @Test
    void nonUtf8HeadersThatDifferAreNeverMergedByAnExpression() {
        ConsumerRecord<String, Object> first = record("x");
        first.headers().add("event-id", new byte[] {'i', 'd', '-', (byte) 0xFF});
        ConsumerRecord<String, Object> second = record("x");
        second.headers().add("event-id", new byte[] {'i', 'd', '-', (byte) 0xFE});

        assertThatThrownBy(() -> KeyExpression.parse("headers['event-id']").of(first)).hasStackTraceContaining("not valid UTF-8");
        assertThatThrownBy(() -> KeyExpression.parse("'evt:' + headers['event-id']").of(second))
                .hasStackTraceContaining("not valid UTF-8");
    }

    @Test
    void aHeaderThatIsNotUtf8FailsOnlyTheExpressionsThatReadIt() throws Exception {
        ConsumerRecord<String, Object> record = record("x");
        record.headers().add("trace", new byte[] {(byte) 0xFF});

        assertThat(KeyExpression.parse("headers['event-id']").of(record)).isEqualTo("evt-1");
        assertThat(KeyExpression.parse("headers.containsKey('trace')").of(record)).isEqualTo("true");
    }

    @Test
    void aNonUtf8RecordKeyIsRefusedNotDecodedWithReplacementCharacters() {
        ConsumerRecord<byte[], Object> record = new ConsumerRecord<>("orders", 2, 41L, new byte[] {(byte) 0xC3, 0x28}, "x");

        assertThatThrownBy(() -> KeyExpression.parse("key").of(record)).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void anExpressionValueWithoutItsOwnToStringIsRefusedNotStoredAsClassAtHash() {
        assertThatThrownBy(() -> KeyExpression.parse("payload").of(record(new Object())))
                .hasMessageContaining("Object's default");
    }

    @Test
    void aFloatingPointExpressionValueIsRefusedBecauseItCannotTellOneTenFromOnePointOne() {
        assertThatThrownBy(() -> KeyExpression.parse("payload.amount").of(record(Map.of("amount", 1.1d))))
                .hasMessageContaining("floating-point");
    }

    /** A payload object as a JSON deserializer produces it. */
    public static final class Order {
        private final String orderId;
        private final String status;

        Order(String orderId, String status) {
            this.orderId = orderId;
            this.status = status;
        }

        public String getOrderId() {
            return orderId;
        }

        public String getStatus() {
            return status;
        }
    }
}
