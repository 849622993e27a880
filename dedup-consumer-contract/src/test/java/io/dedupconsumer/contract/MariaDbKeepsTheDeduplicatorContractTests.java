package io.dedupconsumer.contract;

import io.dedupconsumer.testkit.TestDatabase;
import javax.sql.DataSource;

/** The {@link DeduplicatorContract} on MariaDB through MySQL Connector/J. */
class MariaDbKeepsTheDeduplicatorContractTests extends DeduplicatorContract {

    @Override
    protected DataSource dataSource() {
        return ContractDatabases.of(TestDatabase.mariadb());
    }
}
