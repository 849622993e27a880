package io.dedupconsumer.contract;

import io.dedupconsumer.testkit.TestDatabase;
import javax.sql.DataSource;

/** The {@link DeduplicatorContract} on H2 in memory (the demo default). */
class H2KeepsTheDeduplicatorContractTests extends DeduplicatorContract {

    @Override
    protected DataSource dataSource() {
        return ContractDatabases.of(TestDatabase.h2());
    }
}
