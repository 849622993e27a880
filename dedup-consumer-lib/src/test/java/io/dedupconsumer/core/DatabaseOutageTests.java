package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TcpProxy;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A database that cannot be reached is an outage to wait out, reported as {@link DatabaseUnavailableException}, never as
 * a failure of the record (which a runner would dead-letter after its attempts).
 */
class DatabaseOutageTests {


    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void anUnreachableDatabaseIsReportedAsUnavailableAndProcessingResumesWhenItReturns(TestDatabase database) {
        String name = database.createDatabase("outage");
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
                HikariDataSource dataSource = database.dataSource(name, proxy.port())) {
            DedupSchema.migrate(dataSource);
            Deduplicator dedup = Deduplicator.builder().consumerName("orders").dataSource(dataSource)
                    .dedupKey(DedupKey.recordKey()).build();
            RecordHandler<String, String> noop = (r, c) -> HandlerResult.processed();

            proxy.cut();
            assertThatThrownBy(() -> dedup.process(new ConsumerRecord<>("orders", 0, 0, "k1", "v"), noop))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("retry with backoff");
            BatchResult batch = dedup.processBatch(List.of(new ConsumerRecord<>("orders", 0, 1, "k2", "v")), noop);
            assertThat(batch.failedIndex()).isZero();
            assertThat(batch.failure()).isInstanceOf(DatabaseUnavailableException.class);

            proxy.restore();
            // The pool may still hand out a connection the outage broke: a runner retries, and so does this test.
            DedupResult resumed = await().atMost(Duration.ofSeconds(20)).ignoreException(DatabaseUnavailableException.class)
                    .until(() -> dedup.process(new ConsumerRecord<>("orders", 0, 0, "k1", "v"), noop), r -> true);
            assertThat(resumed.outcome()).isEqualTo(Outcome.PROCESSED);
        }
    }
}
