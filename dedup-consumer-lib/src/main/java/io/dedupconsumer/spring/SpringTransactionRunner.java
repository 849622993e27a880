package io.dedupconsumer.spring;

import io.dedupconsumer.core.TransactionRunner;
import java.sql.Connection;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs the dedup transaction through Spring's transaction management, so that everything the handler writes with
 * {@code JdbcTemplate}, {@code DataSourceUtils} or a {@code @Transactional} method (propagation {@code REQUIRED})
 * uses the claim's connection and commits or rolls back with it.
 *
 * <p>What escapes the transaction escapes the guarantee: a {@code REQUIRES_NEW} method or a second
 * {@code DataSource} commits on its own, even when the claim rolls back. The constructor therefore refuses a
 * transaction manager that manages another {@code DataSource}, and {@link #inTransaction} refuses to start inside a
 * transaction already open on the DataSource (the dedup transaction must be the outermost one, or a failed record
 * could not roll back alone).
 */
public final class SpringTransactionRunner implements TransactionRunner {

    private static final Logger log = LoggerFactory.getLogger(SpringTransactionRunner.class);

    private final PlatformTransactionManager transactionManager;
    private final DataSource dataSource;
    private final DefaultTransactionDefinition definition;

    /**
     * @param transactionManager the application's transaction manager
     * @param dataSource the DataSource of the dedup table and of the business tables
     * @throws IllegalStateException when the transaction manager manages another DataSource
     */
    public SpringTransactionRunner(PlatformTransactionManager transactionManager, DataSource dataSource) {
        this.transactionManager = Objects.requireNonNull(transactionManager, "transactionManager");
        this.dataSource = unwrap(Objects.requireNonNull(dataSource, "dataSource"));
        BeanWrapperImpl manager = new BeanWrapperImpl(transactionManager);
        Object managed = manager.isReadableProperty("dataSource") ? manager.getPropertyValue("dataSource") : null;
        if (managed instanceof DataSource managedDataSource) {
            if (unwrap(managedDataSource) != this.dataSource) {
                throw new IllegalStateException("the transaction manager " + transactionManager + " manages the DataSource "
                        + managedDataSource + ", but the dedup table uses " + dataSource + ": the claim and the "
                        + "listener's writes would commit in two transactions, and a crash between them would lose or "
                        + "double an effect. Use one DataSource for both, or give dedup-consumer the transaction manager "
                        + "of its DataSource");
            }
        } else {
            log.warn("cannot verify that the transaction manager {} manages the dedup DataSource {}; if it does not, the "
                    + "listener's writes do not share the dedup transaction", transactionManager, dataSource);
        }
        this.definition = new DefaultTransactionDefinition(DefaultTransactionDefinition.PROPAGATION_REQUIRED);
        this.definition.setName("dedup");
    }

    @Override
    public <T> T inTransaction(Work<T> work) throws Exception {
        if (TransactionSynchronizationManager.hasResource(dataSource)) {
            throw new IllegalStateException("a transaction is already open on the dedup DataSource, but the dedup "
                    + "transaction must be the outermost one: do not call DedupTemplate from inside a @Transactional "
                    + "method, and give the listener container no transaction manager; code called from the "
                    + "listener joins the dedup transaction");
        }
        TransactionStatus status = transactionManager.getTransaction(definition);
        T result;
        try {
            Connection connection = DataSourceUtils.getConnection(dataSource);
            try {
                result = work.execute(connection);
            } finally {
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
        } catch (Throwable failure) {
            try {
                transactionManager.rollback(status);
            } catch (RuntimeException | Error rollbackFailure) {
                failure.addSuppressed(rollbackFailure);
            }
            throw failure;
        }
        transactionManager.commit(status);
        return result;
    }

    private static DataSource unwrap(DataSource dataSource) {
        return dataSource instanceof TransactionAwareDataSourceProxy proxy ? proxy.getTargetDataSource() : dataSource;
    }

    @Override
    public String toString() {
        return "SpringTransactionRunner[" + transactionManager + "]";
    }
}
