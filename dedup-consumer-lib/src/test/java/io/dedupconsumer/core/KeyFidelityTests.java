package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A key is stored exactly or the record is INVALID with the reason, on every database: two different events never
 * share a stored key by accident (a lossy decoding, a character the database alters or refuses, a number rounded
 * through a double, an ambiguous JSON document). The side effect is a row per applied record in {@code effect}.
 */
class KeyFidelityTests {

    private HikariDataSource dataSource;
    private long nextOffset;

    @AfterEach
    void closePool() {
        if (dataSource != null) {
            dataSource.close();
        }
    }

    private Deduplicator deduplicator(TestDatabase database, DedupKey key) throws SQLException {
        dataSource = database.create("keys");
        DedupSchema.migrate(dataSource);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effect (source_offset BIGINT NOT NULL)");
        }
        return Deduplicator.builder().consumerName("keys").dataSource(dataSource).dedupKey(key)
                .meterRegistry(new SimpleMeterRegistry()).build();
    }

    private final RecordHandler<Object, Object> insertEffect = (record, connection) -> {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect VALUES (?)")) {
            insert.setLong(1, record.offset());
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    };

    private ConsumerRecord<Object, Object> record(Object key, Object value) {
        return new ConsumerRecord<>("orders", 0, nextOffset++, key, value);
    }

    private ConsumerRecord<Object, Object> withHeader(byte[] eventId) {
        ConsumerRecord<Object, Object> record = record("k", "paid 10");
        record.headers().add("event-id", eventId);
        return record;
    }

    private static byte[] idBytes(int last) {
        return new byte[] {'i', 'd', '-', (byte) last};
    }

    private List<Outcome> outcomes(Deduplicator dedup, List<ConsumerRecord<Object, Object>> records) {
        return records.stream().map(r -> dedup.process(r, insertEffect).outcome()).toList();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void nonUtf8HeaderKeysThatDifferAreNeverMerged(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.header("event-id"));

        DedupResult first = dedup.process(withHeader(idBytes(0xFF)), insertEffect);
        DedupResult second = dedup.process(withHeader(idBytes(0xFE)), insertEffect);

        assertThat(List.of(first.outcome(), second.outcome())).containsOnly(Outcome.INVALID);
        assertThat(second.reason()).contains("the header 'event-id'").contains("not valid UTF-8")
                .contains("DedupKey.headerBytes(\"event-id\")");
        assertThat(effects()).isZero();
        assertThat(claims()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void binaryKeysThatDifferAreEachProcessedOnceWhenKeyedOnTheirBytes(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.headerBytes("event-id"));

        List<Outcome> oneByOne = outcomes(dedup, List.of(withHeader(idBytes(0xFF)), withHeader(idBytes(0xFE)),
                withHeader(idBytes(0xFF))));
        BatchResult batch = dedup.processBatch(List.of(withHeader(idBytes(0xFD)), withHeader(idBytes(0xFC)),
                withHeader(idBytes(0xFD)), withHeader(idBytes(0xFE))), insertEffect);

        assertThat(oneByOne).containsExactly(Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE);
        assertThat(batch.results()).extracting(DedupResult::outcome)
                .containsExactly(Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.DUPLICATE);
        assertThat(effects()).isEqualTo(4);
        assertThat(claims()).containsExactlyInAnyOrder("base64:aWQt/A==", "base64:aWQt/Q==", "base64:aWQt/g==",
                "base64:aWQt/w==");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void keysTheDatabaseWouldAlterOrRefuseAreInvalidNeverMerged(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.recordKey());

        // MariaDB and PostgreSQL store a lone surrogate as '?': both would be "id-?". PostgreSQL refuses NUL.
        DedupResult loneHigh = dedup.process(record("id-\uD800", "paid 10"), insertEffect);
        DedupResult loneLow = dedup.process(record("id-\uDC00", "paid 10"), insertEffect);
        DedupResult nul = dedup.process(record("id\u0000a", "paid 10"), insertEffect);

        assertThat(loneHigh.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(loneHigh.reason()).contains("lone surrogate U+D800 at character 3");
        assertThat(loneLow.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(nul.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(nul.reason()).contains("U+0000 (NUL) at character 2");
        assertThat(effects()).isZero();
        assertThat(claims()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void charactersBeyondTheBasicPlaneAreKeysEvenWhereTheirLow16BitsLookLikeASurrogate(TestDatabase database)
            throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.recordKey());
        // U+1D800 and U+1D801 (Sutton SignWriting), U+10DFFF: well-formed pairs whose code points end in D800-DFFF.
        String signA = "id-" + Character.toString(0x1D800);
        String signB = "id-" + Character.toString(0x1D801);
        String last = "id-" + Character.toString(0x10DFFF);

        List<Outcome> outcomes = outcomes(dedup, List.of(record(signA, "paid 10"), record(signB, "paid 10"),
                record(last, "paid 10"), record(signA, "paid 10")));

        assertThat(outcomes).containsExactly(Outcome.PROCESSED, Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE);
        assertThat(effects()).isEqualTo(3);
        assertThat(claims()).containsExactlyInAnyOrder(signA, signB, last);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void keysALenientDecoderFilledWithReplacementCharactersAreInvalid(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.recordKey());
        // What Kafka's StringDeserializer makes of two different binary keys: the same text.
        String fromFf = new String(idBytes(0xFF), StandardCharsets.UTF_8);
        String fromFe = new String(idBytes(0xFE), StandardCharsets.UTF_8);

        List<Outcome> outcomes = outcomes(dedup, List.of(record(fromFf, "paid 10"), record(fromFe, "paid 10")));
        BatchResult batch = dedup.processBatch(List.of(record(fromFf, "paid 10"), record("id-ok", "paid 10")), insertEffect);

        assertThat(outcomes).containsOnly(Outcome.INVALID);
        assertThat(batch.results()).extracting(DedupResult::outcome).containsExactly(Outcome.INVALID, Outcome.PROCESSED);
        assertThat(batch.results().get(0).reason()).contains("U+FFFD").contains("ByteArrayDeserializer");
        assertThat(claims()).containsExactly("id-ok");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void textPayloadsThatDifferOnlyInLoneSurrogatesAreNeverDuplicates(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.recordKey());

        // Encoded with replacement, both payloads are "paid ?": the second would be a DUPLICATE, not a CONFLICT.
        DedupResult first = dedup.process(record("order-1", "paid \uD800"), insertEffect);
        DedupResult second = dedup.process(record("order-1", "paid \uDBFF"), insertEffect);

        assertThat(List.of(first.outcome(), second.outcome())).containsOnly(Outcome.INVALID);
        assertThat(second.reason()).contains("cannot fingerprint").contains("lone surrogate");
        assertThat(claims()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void jsonNumberKeysThatDifferOnlyInTheirTextAreTwoEvents(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.jsonField("eventId"));

        List<Outcome> outcomes = outcomes(dedup, List.of(record("k", "{\"eventId\":1.10}"), record("k", "{\"eventId\":1.1}"),
                record("k", "{\"eventId\":12345678901234567890.5}"), record("k", "{\"eventId\":12345678901234567890.25}")));

        assertThat(outcomes).containsOnly(Outcome.PROCESSED);
        assertThat(claims()).containsExactlyInAnyOrder("1.10", "1.1", "12345678901234567890.5", "12345678901234567890.25");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void ambiguousJsonDocumentsAreInvalidAndClaimNothing(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database, DedupKey.jsonField("eventId"));

        DedupResult twice = dedup.process(record("k", "{\"eventId\":\"e-1\",\"eventId\":\"e-2\"}"), insertEffect);
        DedupResult trailing = dedup.process(record("k", "{\"eventId\":\"e-3\"}{\"eventId\":\"e-4\"}"), insertEffect);

        assertThat(twice.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(twice.reason()).contains("the JSON field 'eventId'").contains("Duplicate field 'eventId'");
        assertThat(trailing.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(trailing.reason()).contains("after the end of the JSON document");
        assertThat(claims()).isEmpty();
    }

    private int effects() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM effect")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The keys the dedup table holds. */
    private List<String> claims() throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT dedup_key FROM dedup_record")) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }
}
