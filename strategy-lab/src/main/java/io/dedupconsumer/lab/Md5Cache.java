package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;
import redis.clients.jedis.JedisPooled;

/**
 * The notes' md5 cache: after a commit, {@code SETEX sender md5(payload)} for three seconds; a delivery whose
 * payload hashes to the cached value is turned away before it reaches the database. The notes call it an
 * optimisation, not a solution, and the lab runs it both ways: as the only guard (plain effect index), where
 * simultaneous duplicates all miss the not-yet-written cache and all apply, and in front of the unique index,
 * where the index catches what the cache lets through and the cache only spares it the later duplicates.
 */
final class Md5Cache implements Strategy {

    private static final long CACHE_TTL_SECONDS = 3;

    private final EffectIndex backstop;
    private final JedisPooled redis;
    private final RedisNamespace namespace;
    private final RaceWindow window;

    Md5Cache(EffectIndex backstop, JedisPooled redis, RedisNamespace namespace, RaceWindow window) {
        this.backstop = backstop;
        this.redis = redis;
        this.namespace = namespace;
        this.window = window;
    }

    @Override
    public String name() {
        return backstop == EffectIndex.UNIQUE ? "md5-cache+unique-index" : "md5-cache-only";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, backstop);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        String sender = namespace.key(name(), "sender", Long.toString(e.accountId()));
        String fingerprint = md5(e.payload());
        if (fingerprint.equals(redis.get(sender))) {
            c.rollback();
            return Outcome.SKIPPED;
        }
        Ledger.apply(c, e);
        window.pause();
        c.commit();
        redis.setex(sender, CACHE_TTL_SECONDS, fingerprint);
        return Outcome.APPLIED;
    }

    private static String md5(String payload) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            return HexFormat.of().formatHex(md5.digest(payload.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide MD5", e);
        }
    }
}
