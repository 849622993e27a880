package io.dedupconsumer.contract;

import io.dedupconsumer.testkit.TestDatabase;
import javax.sql.DataSource;

/** The {@link DeduplicatorContract} on PostgreSQL. */
class PostgreSqlKeepsTheDeduplicatorContractTests extends DeduplicatorContract {

    @Override
    protected DataSource dataSource() {
        return ContractDatabases.of(TestDatabase.postgresql());
    }
}
