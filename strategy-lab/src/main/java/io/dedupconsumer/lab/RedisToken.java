package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.SQLException;
import redis.clients.jedis.JedisPooled;

/**
 * The token-in-Redis recipe: if the event's token exists, it was processed; otherwise process it and then
 * {@code SETEX} the token. Check and set are separate steps with the whole transaction between them, so
 * deliveries that arrive together all find no token and all apply. It only turns away duplicates that arrive
 * after the first one finished.
 */
final class RedisToken implements Strategy {

    private static final long TOKEN_TTL_SECONDS = 60;

    private final JedisPooled redis;
    private final RedisNamespace namespace;
    private final RaceWindow window;

    RedisToken(JedisPooled redis, RedisNamespace namespace, RaceWindow window) {
        this.redis = redis;
        this.namespace = namespace;
        this.window = window;
    }

    @Override
    public String name() {
        return "redis-token";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, EffectIndex.PLAIN);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        String token = namespace.key(name(), "token", e.id());
        if (redis.exists(token)) {
            c.rollback();
            return Outcome.SKIPPED;
        }
        Ledger.apply(c, e);
        window.pause();
        c.commit();
        redis.setex(token, TOKEN_TTL_SECONDS, "processed");
        return Outcome.APPLIED;
    }
}
