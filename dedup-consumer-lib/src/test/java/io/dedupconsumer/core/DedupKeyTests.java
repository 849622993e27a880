package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The built-in key extractors store a key exactly or refuse it with the reason: two different events never read as
 * the same key. No database here; {@link KeyFidelityTests} shows the outcomes through the {@link Deduplicator}.
 */
class DedupKeyTests {

    private static final DedupKey EVENT_ID = DedupKey.jsonField("eventId");

    private static ConsumerRecord<Object, Object> record(Object key, Object value) {
        return new ConsumerRecord<>("orders", 0, 3L, key, value);
    }

    private static ConsumerRecord<Object, Object> withHeader(byte[] header) {
        ConsumerRecord<Object, Object> record = record("k", "v");
        record.headers().add("event-id", header);
        return record;
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void nonUtf8HeaderKeysThatDifferAreNeverMerged() {
        DedupKey header = DedupKey.header("event-id");

        // Both decode to "id-\uFFFD" with replacement characters: one key for two events.
        assertThatThrownBy(() -> header.of(withHeader(bytes('i', 'd', '-', 0xFF))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid UTF-8").hasMessageContaining("0xFF at offset 3")
                .hasMessageContaining("DedupKey.headerBytes(\"event-id\")");
        assertThatThrownBy(() -> header.of(withHeader(bytes('i', 'd', '-', 0xC3, 0x28))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void nonUtf8RecordKeyBytesThatDifferAreNeverMerged() {
        DedupKey recordKey = DedupKey.recordKey();

        assertThatThrownBy(() -> recordKey.of(record(bytes(0x80, 0x01), "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("DedupKey.recordKeyBytes()");
        assertThatThrownBy(() -> recordKey.of(record(ByteBuffer.wrap(bytes(0x81, 0x01)), "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8");
        // An overlong encoding of 'A' is not 'A'.
        assertThatThrownBy(() -> recordKey.of(record(bytes(0xC1, 0x81), "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void validUtf8KeysAreReadExactly() throws Exception {
        assertThat(DedupKey.recordKey().of(record(utf8("zamówienie-7"), "v"))).isEqualTo("zamówienie-7");
        assertThat(DedupKey.recordKey().of(record(ByteBuffer.wrap(utf8("ордер-1")), "v"))).isEqualTo("ордер-1");
        assertThat(DedupKey.header("event-id").of(withHeader(utf8("evt-😀")))).isEqualTo("evt-😀");
        assertThat(DedupKey.recordKey().of(record(42L, "v"))).isEqualTo("42");
    }

    @Test
    void binaryKeysAreStoredAsTheBase64OfTheirBytesWhenAskedFor() throws Exception {
        ConsumerRecord<Object, Object> binary = record(bytes(0xFF, 0x00, 0x10), "v");
        binary.headers().add("event-id", bytes(0xFE, 0xFF));

        assertThat(DedupKey.recordKeyBytes().of(binary)).isEqualTo("base64:/wAQ");
        assertThat(DedupKey.recordKeyBytes().of(record(ByteBuffer.wrap(bytes(0xFF, 0x00, 0x10)), "v")))
                .isEqualTo("base64:/wAQ");
        assertThat(DedupKey.headerBytes("event-id").of(binary)).isEqualTo("base64:/v8=");
        assertThat(DedupKey.headerBytes("absent").of(binary)).isNull();
        assertThatThrownBy(() -> DedupKey.recordKeyBytes().of(record("text", "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.String, not bytes")
                .hasMessageContaining("ByteArrayDeserializer");
    }

    @Test
    void aKeyObjectWithoutItsOwnToStringIsRefusedNotStoredAsClassAtHash() {
        assertThatThrownBy(() -> DedupKey.recordKey().of(record(new Object(), "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.Object")
                .hasMessageContaining("Object's default");
        assertThatThrownBy(() -> DedupKey.recordKey().of(record(new int[] {1, 2}, "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Object's default");
    }

    @Test
    void floatingPointKeysAreRefusedBecauseTheirTextIsNotTheTextThatWasSent() {
        assertThatThrownBy(() -> DedupKey.recordKey().of(record(1.1d, "v")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("floating-point");
    }

    @Test
    void jsonNumberKeysAreTheirExactTextNeverRoundedThroughADouble() throws Exception {
        assertThat(EVENT_ID.of(record("k", "{\"eventId\":1.10}"))).isEqualTo("1.10");
        assertThat(EVENT_ID.of(record("k", "{\"eventId\":1.1}"))).isEqualTo("1.1");
        assertThat(EVENT_ID.of(record("k", utf8("{\"eventId\":12345678901234567890.5}")))).isEqualTo("12345678901234567890.5");
        assertThat(EVENT_ID.of(record("k", utf8("{\"eventId\":1.0000000000000000001}")))).isEqualTo("1.0000000000000000001");
        assertThat(EVENT_ID.of(record("k", utf8("{\"eventId\":12345678901234567890}")))).isEqualTo("12345678901234567890");
        assertThat(EVENT_ID.of(record("k", utf8("{\"eventId\":1e2}")))).isEqualTo("1e2");
    }

    @Test
    void fractionalNumbersOfDeserializedPayloadsAreRefusedBecauseTheirTextIsGone() throws Exception {
        assertThatThrownBy(() -> EVENT_ID.of(record("k", Map.of("eventId", 1.1d))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fraction");
        // Jackson's tree turns 1.10 into 1.1, so even an exact BigDecimal is not read through it.
        assertThatThrownBy(() -> EVENT_ID.of(record("k", Map.of("eventId", new BigDecimal("1.10")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fraction");
        assertThat(EVENT_ID.of(record("k", Map.of("eventId", 12345678901234567L)))).isEqualTo("12345678901234567");
        assertThat(EVENT_ID.of(record("k", Map.of("eventId", "e-1")))).isEqualTo("e-1");
    }

    @Test
    void duplicateJsonMembersMakeTheRecordInvalid() {
        // One parser takes the first, another the last: the key would depend on who reads it.
        assertThatThrownBy(() -> EVENT_ID.of(record("k", utf8("{\"eventId\":\"a\",\"eventId\":\"b\"}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duplicate field 'eventId'");
        assertThatThrownBy(() -> EVENT_ID.of(record("k", "{\"eventId\":\"a\",\"eventId\":\"b\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duplicate field 'eventId'");
        assertThatThrownBy(() -> EVENT_ID.of(record("k", utf8("{\"eventId\":\"a\",\"line\":{\"qty\":1,\"qty\":9}}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duplicate field 'qty'");
    }

    @Test
    void trailingContentAfterTheJsonDocumentMakesTheRecordInvalid() {
        assertThatThrownBy(() -> EVENT_ID.of(record("k", utf8("{\"eventId\":\"a\"} {\"eventId\":\"b\"}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the end of the JSON document");
        assertThatThrownBy(() -> EVENT_ID.of(record("k", "{\"eventId\":\"a\"}garbage")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the end of the JSON document");
        assertThatThrownBy(() -> EVENT_ID.of(record("k", utf8("{\"eventId\":\"a\"}}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the end of the JSON document");
    }

    @Test
    void jsonKeysThatAreNotValidUtf8AreInvalidNotReadAsAnotherCharacter() {
        // Jackson's own byte parser reads the overlong C1 81 as 'A'.
        byte[] overlongA = bytes('{', '"', 'e', 'v', 'e', 'n', 't', 'I', 'd', '"', ':', '"', 0xC1, 0x81, '"', '}');

        assertThatThrownBy(() -> EVENT_ID.of(record("k", overlongA)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void aJsonValueWithAByteOrderMarkIsReadAsWithout() throws Exception {
        ByteArrayOutputStream value = new ByteArrayOutputStream();
        value.write(bytes(0xEF, 0xBB, 0xBF));
        value.write(utf8("{\"eventId\":\"e-1\"}"));

        assertThat(EVENT_ID.of(record("k", value.toByteArray()))).isEqualTo("e-1");
    }

    @Test
    void anOversizedJsonValueIsInvalidBeforeItIsParsed() {
        String filler = "x".repeat(JsonField.MAX_VALUE_LENGTH);
        byte[] oversized = utf8("{\"eventId\":\"e-1\",\"filler\":\"" + filler + "\"}");

        assertThatThrownBy(() -> EVENT_ID.of(record("k", oversized)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(oversized.length + " bytes")
                .hasMessageContaining("at most " + JsonField.MAX_VALUE_LENGTH);
        assertThatThrownBy(() -> EVENT_ID.of(record("k", ByteBuffer.wrap(oversized))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(oversized.length + " bytes");
        assertThatThrownBy(() -> EVENT_ID.of(record("k", new String(oversized, StandardCharsets.UTF_8))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("characters");
    }

    @Test
    void jsonNestedDeeperThanTheLimitMakesTheRecordInvalid() throws Exception {
        int depth = JsonField.MAX_NESTING_DEPTH;
        String deepest = "{\"eventId\":\"e-1\",\"x\":" + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
        String tooDeep = "{\"eventId\":\"e-1\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}";

        assertThat(EVENT_ID.of(record("k", utf8(deepest)))).isEqualTo("e-1");
        assertThatThrownBy(() -> EVENT_ID.of(record("k", utf8(tooDeep))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nesting depth");
    }

    @Test
    void aJsonPointerReachesIntoNestedObjectsAndArrays() throws Exception {
        String value = "{\"a\":[1,{\"b\":{\"c\":\"deep\"}}],\"payment\":{\"txId\":\"tx-9\"},\"z\":true}";

        assertThat(DedupKey.jsonField("/a/1/b/c").of(record("k", value))).isEqualTo("deep");
        assertThat(DedupKey.jsonField("/payment/txId").of(record("k", utf8(value)))).isEqualTo("tx-9");
        assertThat(DedupKey.jsonField("/a/0").of(record("k", value))).isEqualTo("1");
        assertThat(DedupKey.jsonField("/a/7").of(record("k", value))).isNull();
        assertThat(DedupKey.jsonField("/z").of(record("k", value))).isEqualTo("true");
        assertThatThrownBy(() -> DedupKey.jsonField("/payment").of(record("k", value)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("object or array");
        assertThat(EVENT_ID.of(record("k", "{\"eventId\":null}"))).isNull();
        assertThat(EVENT_ID.of(record("k", new byte[0]))).isNull();
    }
}
