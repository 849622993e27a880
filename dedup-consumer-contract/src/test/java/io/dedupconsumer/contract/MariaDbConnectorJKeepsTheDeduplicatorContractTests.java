package io.dedupconsumer.contract;

import io.dedupconsumer.testkit.TestDatabase;
import javax.sql.DataSource;

/** The {@link DeduplicatorContract} on MariaDB through MariaDB Connector/J. */
class MariaDbConnectorJKeepsTheDeduplicatorContractTests extends DeduplicatorContract {

    @Override
    protected DataSource dataSource() {
        return ContractDatabases.of(TestDatabase.mariadbDriver());
    }
}
