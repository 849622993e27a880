package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transaction timeout bounds the library's transaction, the handler's statements included, and only it: the
 * session settings it needs on MySQL and MariaDB are put back, so the application's other uses of a pooled connection
 * never inherit them, whether the transaction committed or failed.
 */
class TransactionTimeoutTests {


    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void theTransactionTimeoutBoundsTheHandlerAndNeverLeaksIntoThePooledConnection(TestDatabase database)
            throws SQLException {
        try (HikariDataSource dataSource = database.create("timeouts")) {
            DedupSchema.migrate(dataSource);
            dataSource.getHikariConfigMXBean().setMaximumPoolSize(1); // every transaction on the same session
            String settings = database == TestDatabase.mariadb()
                    ? "SELECT CONCAT_WS(',', @@session.innodb_lock_wait_timeout, @@session.lock_wait_timeout, "
                            + "@@session.max_statement_time)"
                    : "SELECT current_setting('lock_timeout') || ',' || current_setting('statement_timeout')";
            String before = read(dataSource, settings);
            AtomicReference<String> inside = new AtomicReference<>();
            Deduplicator dedup = Deduplicator.builder().consumerName("orders").dataSource(dataSource)
                    .dedupKey(DedupKey.recordKey()).transactionTimeout(Duration.ofMillis(2_500)).build();

            dedup.process(new ConsumerRecord<>("orders", 0, 0, "k1", "v"), (record, connection) -> {
                inside.set(read(connection, settings));
                return HandlerResult.processed();
            });
            assertThat(read(dataSource, settings)).isEqualTo(before);
            assertThatThrownBy(() -> dedup.process(new ConsumerRecord<>("orders", 0, 1, "k2", "v"), (record, c) -> {
                throw new IllegalStateException("the handler fails");
            })).isInstanceOf(RecordProcessingException.class);
            assertThat(read(dataSource, settings)).isEqualTo(before);
            dedup.processBatch(List.of(new ConsumerRecord<>("orders", 0, 2, "k3", "v")), (r, c) -> HandlerResult.processed());
            assertThat(read(dataSource, settings)).isEqualTo(before);

            // MariaDB counts lock waits in whole seconds (rounded up), statements to the millisecond.
            assertThat(inside.get()).isEqualTo(database == TestDatabase.mariadb() ? "3,3,2.500000" : "2500ms,2500ms");
        }
    }

    private static String read(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return read(c, sql);
        }
    }

    private static String read(Connection connection, String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
