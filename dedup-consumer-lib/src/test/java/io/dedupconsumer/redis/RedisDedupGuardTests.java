package io.dedupconsumer.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Fingerprint;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TcpProxy;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The Redis guard against the real Redis (127.0.0.1:6379) and MariaDB: it spares the database hot duplicates, and it is
 * never the source of truth: Redis cut or flushed mid-run changes nothing about what is applied.
 */
class RedisDedupGuardTests {

    private static final String REDIS_HOST = System.getenv().getOrDefault("DEDUP_TEST_REDIS_HOST", "127.0.0.1");
    private static final int REDIS_PORT = Integer.parseInt(System.getenv().getOrDefault("DEDUP_TEST_REDIS_PORT", "6379"));

    private final String prefix = "dedup-test:" + UUID.randomUUID() + ":";
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private HikariDataSource dataSource;
    private TcpProxy redisProxy;
    private JedisPooled redis;
    private JedisPooled direct;
    private long offset;

    @BeforeEach
    void start() throws SQLException {
        dataSource = TestDatabase.mariadb().create("guard");
        DedupSchema.migrate(dataSource);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effect (event_key VARCHAR(100) NOT NULL)");
        }
        redisProxy = TcpProxy.start(REDIS_HOST, REDIS_PORT);
        // Generous timeouts: a loaded machine must not turn hits into misses. The outage test cuts the proxy, which
        // resets connections at once, so it does not wait for them either.
        DefaultJedisClientConfig timeouts = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(2_000).socketTimeoutMillis(2_000).build();
        redis = new JedisPooled(new HostAndPort("127.0.0.1", redisProxy.port()), timeouts);
        direct = new JedisPooled(REDIS_HOST, REDIS_PORT);
    }

    @AfterEach
    void stop() {
        forgetEverything();
        redis.close();
        direct.close();
        redisProxy.close();
        dataSource.close();
    }

    private Deduplicator deduplicator() {
        RedisDedupGuard guard = RedisDedupGuard.builder().redis(redis).ttl(Duration.ofMinutes(10)).keyPrefix(prefix)
                .retryAfter(Duration.ofMillis(100)).meterRegistry(meters).build();
        return Deduplicator.builder().consumerName("stock").dataSource(dataSource).dedupKey(DedupKey.recordKey())
                .guard(guard).meterRegistry(meters).build();
    }

    private final RecordHandler<String, String> insertEffect = (record, connection) -> {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect VALUES (?)")) {
            insert.setString(1, record.key());
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    };

    private ConsumerRecord<String, String> record(String key, String value) {
        return new ConsumerRecord<>("stock-events", 0, offset++, key, value);
    }

    @Test
    void hotDuplicatesAreRecognisedWithoutADatabaseTransaction() throws SQLException {
        Deduplicator dedup = deduplicator();
        for (int i = 0; i < 20; i++) {
            dedup.process(record("e-" + i, "v" + i), insertEffect);
        }
        long transactionsBefore = meters.get("dedup.transaction").tag("mode", "record").timer().count();

        List<DedupResult> redelivered = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            redelivered.add(dedup.process(record("e-" + i, "v" + i), insertEffect));
        }

        assertThat(redelivered).extracting(DedupResult::outcome).containsOnly(Outcome.DUPLICATE);
        assertThat(redelivered).extracting(DedupResult::firstOutcome).containsOnly(Outcome.PROCESSED);
        assertThat(meters.get("dedup.guard.hits").counter().count()).isEqualTo(20.0);
        assertThat(meters.get("dedup.transaction").tag("mode", "record").timer().count()).isEqualTo(transactionsBefore);
        assertThat(effects()).hasSize(20).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
    }

    @Test
    void aRolledBackClaimIsNeverRemembered() throws SQLException {
        Deduplicator dedup = deduplicator();
        RecordHandler<String, String> fails = (r, c) -> {
            throw new IllegalStateException("downstream down");
        };

        assertThatThrownBy(() -> dedup.process(record("e-1", "v"), fails)).isInstanceOf(RecordProcessingException.class);

        assertThat(direct.get(prefix + "stock:e-1")).isNull();
        assertThat(dedup.process(record("e-1", "v"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(direct.get(prefix + "stock:e-1"))
                .isEqualTo("PROCESSED:" + HexFormat.of().formatHex(Fingerprint.sha256("v".getBytes(StandardCharsets.UTF_8))));
        assertThat(effects()).containsExactly(Map.entry("e-1", 1));
    }

    @Test
    void aRememberedKeyWithAnotherPayloadStillReachesTheDatabaseAndIsAConflict() {
        Deduplicator dedup = deduplicator();
        dedup.process(record("e-1", "take 1"), insertEffect);

        DedupResult other = dedup.process(record("e-1", "take 9"), insertEffect);

        assertThat(other.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(other.firstDelivery()).isEqualTo("stock-events-0@0");
    }

    @Test
    void redisCutAndFlushedMidRunChangesNothingAboutWhatIsApplied() throws SQLException {
        Deduplicator dedup = deduplicator();
        Map<String, Integer> expected = new HashMap<>();
        int round = 0;
        for (String phase : List.of("up", "cut", "restored", "flushed")) {
            if (phase.equals("cut")) {
                redisProxy.cut();
            } else if (phase.equals("restored")) {
                redisProxy.restore();
            } else if (phase.equals("flushed")) {
                forgetEverything();
            }
            // Each phase: new events, each delivered three times, plus the previous phases' events again.
            for (int i = 0; i < 15; i++) {
                String key = "e-" + round + "-" + i;
                expected.put(key, 1);
                for (int copy = 0; copy < 3; copy++) {
                    assertThat(dedup.process(record(key, "v"), insertEffect).outcome())
                            .isEqualTo(copy == 0 ? Outcome.PROCESSED : Outcome.DUPLICATE);
                }
            }
            for (String key : expected.keySet()) {
                if (!key.startsWith("e-" + round + "-")) {
                    assertThat(dedup.process(record(key, "v"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
                }
            }
            round++;
        }

        assertThat(effects()).isEqualTo(expected);
        assertThat(meters.get("dedup.guard.errors").counter().count()).isPositive();
        assertThat(meters.get("dedup.guard.hits").counter().count()).isPositive();
    }

    @Test
    void aBatchAsksRedisOnceAndSendsOnlyUnknownKeysToTheDatabase() throws SQLException {
        Deduplicator dedup = deduplicator();
        dedup.processBatch(List.of(record("a", "1"), record("b", "2")), insertEffect);

        BatchResult mixed = dedup.processBatch(List.of(record("a", "1"), record("c", "3"), record("b", "2"),
                record("c", "3")), insertEffect);

        assertThat(mixed.results()).extracting(DedupResult::outcome)
                .containsExactly(Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.DUPLICATE);
        assertThat(meters.get("dedup.guard.hits").counter().count()).isEqualTo(2.0);
        assertThat(effects()).containsOnly(Map.entry("a", 1), Map.entry("b", 1), Map.entry("c", 1));
    }

    @Test
    void aGuardWithoutClientOrTtlIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> RedisDedupGuard.builder().ttl(Duration.ofMinutes(1)).build())
                .hasMessageStartingWith("redis: required");
        assertThatThrownBy(() -> RedisDedupGuard.builder().redis(redis).build()).hasMessageStartingWith("ttl: required");
        assertThatThrownBy(() -> RedisDedupGuard.builder().ttl(Duration.ofMillis(10))).hasMessageStartingWith("ttl:");
    }

    /** Deletes this test's keys only: other tests share the Redis server. */
    private void forgetEverything() {
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = direct.scan(cursor, new ScanParams().match(prefix + "*").count(500));
            if (!page.getResult().isEmpty()) {
                direct.del(page.getResult().toArray(new String[0]));
            }
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }

    private Map<String, Integer> effects() throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT event_key, COUNT(*) FROM effect GROUP BY event_key")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getInt(2));
            }
        }
        return counts;
    }
}
