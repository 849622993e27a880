package io.dedupconsumer.lab;

import java.util.List;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The key prefix one lab session owns in a Redis that other people's tests share; every key the lab writes
 * lives under it, and {@link #purge} removes them all.
 */
record RedisNamespace(String prefix) {

    String key(String... parts) {
        return prefix + String.join(":", parts);
    }

    /** Deletes every key under the prefix. Keys also carry TTLs, so a crashed session leaves nothing for long. */
    void purge(JedisPooled redis) {
        ScanParams match = new ScanParams().match(prefix + "*").count(500);
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = redis.scan(cursor, match);
            List<String> keys = page.getResult();
            if (!keys.isEmpty()) {
                redis.del(keys.toArray(String[]::new));
            }
            cursor = page.getCursor();
        } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    }
}
