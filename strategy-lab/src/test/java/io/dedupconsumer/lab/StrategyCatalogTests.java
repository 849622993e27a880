package io.dedupconsumer.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

class StrategyCatalogTests {

    private final JedisPooled redis = new JedisPooled(Endpoints.LOCAL.redisHost(), Endpoints.LOCAL.redisPort());
    private final StrategyCatalog catalog = new StrategyCatalog(redis, new RedisNamespace("dedup-lab:catalog:"));

    @AfterEach
    void closeRedis() {
        redis.close();
    }

    @Test
    void everyListedNameCreatesTheStrategyOfThatName() {
        assertThat(StrategyCatalog.NAMES).doesNotHaveDuplicates().hasSize(11)
                .allSatisfy(name -> assertThat(catalog.create(name, RaceWindow.NONE).name()).isEqualTo(name));
    }

    @Test
    void anUnknownNameIsRefusedWithTheKnownNames() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> catalog.create("hope", RaceWindow.NONE))
                .withMessageContaining("unknown strategy 'hope'")
                .withMessageContaining("unique-index");
    }
}
