package io.dedupconsumer.contract;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One fresh database per server and driver for this module's test run (the contracts reuse it test after test). */
final class ContractDatabases {

    private static final Map<TestDatabase, HikariDataSource> OPENED = new ConcurrentHashMap<>();

    private ContractDatabases() {
    }

    static HikariDataSource of(TestDatabase server) {
        return OPENED.computeIfAbsent(server, s -> s.create("contract"));
    }
}
