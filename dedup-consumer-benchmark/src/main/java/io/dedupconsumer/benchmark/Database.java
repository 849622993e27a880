package io.dedupconsumer.benchmark;

import io.dedupconsumer.jdbc.Dialect;
import io.dedupconsumer.testkit.TestDatabase;

/** The database servers the benchmark runs on, reached through the testkit (local servers, or its env variables). */
enum Database {
    MARIADB(Dialect.MYSQL) {
        @Override
        TestDatabase server() {
            return TestDatabase.mariadb();
        }
    },
    POSTGRESQL(Dialect.POSTGRESQL) {
        @Override
        TestDatabase server() {
            return TestDatabase.postgresql();
        }
    };

    private final Dialect dialect;

    Database(Dialect dialect) {
        this.dialect = dialect;
    }

    abstract TestDatabase server();

    Dialect dialect() {
        return dialect;
    }

    String label() {
        return server().name();
    }
}
