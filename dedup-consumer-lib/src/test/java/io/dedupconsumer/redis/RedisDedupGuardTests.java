package io.dedupconsumer.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Effects;
import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.DedupGuard;
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
        return deduplicator("stock", guard());
    }

    /** A guard that a loaded machine never finds slow: the tests of what it answers. */
    private RedisDedupGuard guard() {
        return guard(Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    private RedisDedupGuard guard(Duration retryAfter, Duration slowCall) {
        return RedisDedupGuard.builder().redis(redis).ttl(Duration.ofMinutes(10)).keyPrefix(prefix)
                .retryAfter(retryAfter).slowCallThreshold(slowCall).meterRegistry(meters).build();
    }

    private Deduplicator deduplicator(String consumerName, RedisDedupGuard guard) {
        return Deduplicator.builder().consumerName(consumerName).dataSource(dataSource).dedupKey(DedupKey.recordKey())
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

        String redisKey = RedisDedupGuard.redisKey(prefix, "stock", "e-1");
        assertThat(direct.get(redisKey)).isNull();
        assertThat(dedup.process(record("e-1", "v"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(direct.get(redisKey))
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
                // The guard steps aside for retryAfter after an error; once it is back, a known key is a hit again.
                String known = expected.keySet().iterator().next();
                double hitsBeforeRestore = hits();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    assertThat(dedup.process(record(known, "v"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
                    return hits() > hitsBeforeRestore;
                });
            } else if (phase.equals("flushed")) {
                forgetEverything();
            }
            double hitsAtStart = hits();
            // Each phase: new events, each delivered three times, plus the previous phases' events again.
            for (int i = 0; i < 15; i++) {
                String key = "e-" + round + "-" + i;
                expected.put(key, 1);
                for (int copy = 0; copy < 3; copy++) {
                    assertThat(dedup.process(record(key, "v"), insertEffect).outcome())
                            .isEqualTo(copy == 0 ? Outcome.PROCESSED : Outcome.DUPLICATE);
                }
            }
            // The two redeliveries of each new event: answered by Redis whenever it is reachable, never while cut.
            if (phase.equals("cut")) {
                assertThat(hits()).as("no hit while Redis is cut").isEqualTo(hitsAtStart);
            } else {
                assertThat(hits()).as("redeliveries answered by Redis in phase " + phase).isEqualTo(hitsAtStart + 30);
                for (int i = 0; i < 15; i++) {
                    assertThat(direct.get(RedisDedupGuard.redisKey(prefix, "stock", "e-" + round + "-" + i)))
                            .as("remembered in Redis in phase " + phase).isNotNull();
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
    }

    private double hits() {
        return meters.get("dedup.guard.hits").counter().count();
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
    void consumerNamesAndKeysThatJoinToTheSameTextNeverAnswerEachOthersRecords() throws SQLException {
        RedisDedupGuard guard = guard();
        // {consumer, key} of a first consumer, then of a second one whose record would meet the first's Redis entry if
        // the guard joined consumer and key with ':'. The same payload: only the key space can tell them apart.
        String[][] pairs = {
            {"a", "b:c", "a:b", "c"},
            {"orders", "eu:17", "orders:eu", "17"},
            {"x:", ":y", "x::", "y"},
            {"a", ":b", "a:", "b"},
        };
        for (String[] pair : pairs) {
            Deduplicator first = deduplicator(pair[0], guard);
            Deduplicator second = deduplicator(pair[2], guard);
            assertThat(first.process(record(pair[1], "same payload"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
            assertThat(first.process(record(pair[1], "same payload"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);

            assertThat(second.process(record(pair[3], "same payload"), insertEffect).outcome())
                    .as("consumer '%s', key '%s', after consumer '%s' processed key '%s'", pair[2], pair[3], pair[0], pair[1])
                    .isEqualTo(Outcome.PROCESSED);
        }
        assertThat(effects().values()).hasSize(8).containsOnly(1);
        Map<String, Double> hits = new HashMap<>();
        meters.get("dedup.guard.hits").counters().forEach(c -> hits.put(c.getId().getTag("consumer"), c.count()));
        assertThat(hits).as("guard hits by consumer: only each first consumer's own duplicates").containsOnly(
                Map.entry("a", 2.0), Map.entry("orders", 1.0), Map.entry("x:", 1.0),
                Map.entry("a:b", 0.0), Map.entry("orders:eu", 0.0), Map.entry("x::", 0.0), Map.entry("a:", 0.0));
    }

    @Test
    void keysThatUtf8CannotTellApartAreDistinctInRedis() {
        RedisDedupGuard guard = guard();
        DedupGuard.Remembered processed = new DedupGuard.Remembered(new byte[] {1, 2, 3}, Outcome.PROCESSED);
        // A lone surrogate has no UTF-8 form: a String key encoded by the client becomes '?'.
        guard.remember("s", Map.of("lone-\uD800", processed));

        assertThat(guard.recall("s", List.of("lone-\uD800"))).containsOnlyKeys("lone-\uD800");
        assertThat(guard.recall("s", List.of("lone-?", "lone-\uDBFF", "lone-\uFFFD"))).isEmpty();
    }

    @Test
    void aSlowRedisIsBypassedAfterAFewSlowCallsAndTheDatabaseDecidesAlone() throws SQLException {
        // Slow means over 15 ms here, half what the proxy adds: no loaded machine makes the real Redis that slow.
        Deduplicator dedup = deduplicator("stock", guard(Duration.ofMinutes(10), Duration.ofMillis(15)));
        for (int i = 0; i < 5; i++) {
            dedup.process(record("e-" + i, "v"), insertEffect);
        }
        assertThat(meters.get("dedup.guard.bypassed").gauge().value()).isZero();

        redisProxy.latency(Duration.ofMillis(30));
        // Each record asks Redis before its transaction and tells it after: two slow calls per record.
        int slowRecords = 0;
        while (meters.get("dedup.guard.bypassed").gauge().value() == 0) {
            assertThat(++slowRecords).as("records through a Redis answering in 30 ms before the guard is bypassed")
                    .isLessThanOrEqualTo(2);
            dedup.process(record("slow-" + slowRecords, "v"), insertEffect);
        }
        long redisCalls = meters.get("dedup.guard.latency").timer().count();

        List<DedupResult> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(dedup.process(record("e-" + i, "v"), insertEffect));
            results.add(dedup.process(record("new-" + i, "v"), insertEffect));
        }

        assertThat(results).extracting(DedupResult::outcome).containsExactly(Outcome.DUPLICATE, Outcome.PROCESSED,
                Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.DUPLICATE,
                Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.PROCESSED);
        assertThat(meters.get("dedup.guard.latency").timer().count()).as("calls to Redis while bypassed").isEqualTo(redisCalls);
        assertThat(meters.get("dedup.guard.bypassed").gauge().value()).isEqualTo(1.0);
        assertThat(effects()).hasSize(10 + slowRecords).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
    }

    @Test
    void aSlowAnswerNowAndThenDoesNotSwitchTheGuardOff() throws SQLException {
        Deduplicator dedup = deduplicator("stock", guard(Duration.ofMinutes(10), Duration.ofMillis(15)));
        dedup.process(record("hot", "v"), insertEffect);
        for (int round = 0; round < 3; round++) {
            // One slow new record (two slow calls: recall, remember), then six hits (one fast recall each): never 4
            // slow calls among the last 8.
            redisProxy.latency(Duration.ofMillis(30));
            assertThat(dedup.process(record("slow-" + round, "v"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
            redisProxy.latency(Duration.ZERO);
            for (int i = 0; i < 6; i++) {
                assertThat(dedup.process(record("hot", "v"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
            }
            assertThat(meters.get("dedup.guard.bypassed").gauge().value()).isZero();
        }
        assertThat(meters.get("dedup.guard.hits").counter().count()).isEqualTo(18.0);
    }

    @Test
    void aBypassedGuardProbesRedisAgainAndSwitchesBackOnOnceItIsFast() throws SQLException {
        Deduplicator dedup = deduplicator("stock", guard(Duration.ofMillis(200), Duration.ofMillis(15)));
        dedup.process(record("hot", "v"), insertEffect);
        redisProxy.latency(Duration.ofMillis(30));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            dedup.process(record("hot", "v"), insertEffect);
            return meters.get("dedup.guard.bypassed").gauge().value() == 1.0;
        });

        // While Redis stays slow, a probe now and then finds it slow again: the guard stays bypassed.
        long calls = meters.get("dedup.guard.latency").timer().count();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            dedup.process(record("hot", "v"), insertEffect);
            return meters.get("dedup.guard.latency").timer().count() > calls;
        });
        assertThat(meters.get("dedup.guard.bypassed").gauge().value()).isEqualTo(1.0);

        redisProxy.latency(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            dedup.process(record("hot", "v"), insertEffect);
            return meters.get("dedup.guard.bypassed").gauge().value() == 0.0;
        });
        double hits = meters.get("dedup.guard.hits").counter().count();
        assertThat(dedup.process(record("hot", "v"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(meters.get("dedup.guard.hits").counter().count()).as("answered by Redis again").isEqualTo(hits + 1);
        assertThat(effects()).containsExactly(Map.entry("hot", 1));
    }

    @Test
    void everySettingIsCheckedAndTheMessageNamesIt() {
        assertThatThrownBy(() -> RedisDedupGuard.builder().ttl(Duration.ofMinutes(1)).build())
                .hasMessageStartingWith("redis: required");
        assertThatThrownBy(() -> RedisDedupGuard.builder().redis(redis).build()).hasMessageStartingWith("ttl: required");
        assertThatThrownBy(() -> RedisDedupGuard.builder().ttl(Duration.ofMillis(10))).hasMessageStartingWith("ttl:");
        assertThatThrownBy(() -> RedisDedupGuard.builder().slowCallThreshold(Duration.ZERO))
                .hasMessageStartingWith("slowCallThreshold:");
        assertThatThrownBy(() -> RedisDedupGuard.builder().slowCallThreshold(Duration.ofSeconds(11)))
                .hasMessageStartingWith("slowCallThreshold:");
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
        return Effects.perKey(dataSource);
    }
}
