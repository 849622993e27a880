package io.dedupconsumer.kafka;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.Outcome;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A consumer process that dies the hard way right after its first database commit, before any offset commit: the
 * child JVM of {@link RunnerCrashTests}. {@code Runtime.halt} skips shutdown hooks and {@code finally} blocks, as a
 * SIGKILL or a power cut would.
 *
 * <p>Arguments: bootstrap servers, topic, group, group instance id, JDBC URL, database user, password, mode.
 */
public final class HaltingRunnerMain {

    /** The exit status that tells the test the process halted where it should. */
    public static final int HALTED = 77;

    private HaltingRunnerMain() {
    }

    /** The deduplicator of a child process: consumer {@code group}, keyed by the record key, on a small pool. */
    static Deduplicator deduplicator(String group, String jdbcUrl, String user, String password) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(jdbcUrl);
        pool.setUsername(user);
        pool.setPassword(password);
        pool.setMaximumPoolSize(2);
        return Deduplicator.builder().consumerName(group).dedupKey(DedupKey.recordKey())
                .dataSource(new HikariDataSource(pool)).build();
    }

    public static void main(String[] args) {
        Deduplicator deduplicator = deduplicator(args[2], args[4], args[5], args[6]);
        DedupConsumerRunner<String, String> runner = DedupConsumerRunner
                .builder(new RunnerFixture.StrictUtf8(), new RunnerFixture.StrictUtf8())
                .consumerProperties(RunnerCrashTests.consumerProperties(args[0], args[2], args[3]))
                .topics(args[1])
                .deduplicator(deduplicator)
                .handler(RunnerFixture.EFFECT)
                .mode(ProcessingMode.valueOf(args[7]))
                .listener(new RunnerListener() {
                    @Override
                    public void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
                        if (results.stream().anyMatch(r -> r.outcome() == Outcome.PROCESSED)) {
                            System.out.println("halting after the database commit of " + records.size() + " records");
                            System.out.flush();
                            Runtime.getRuntime().halt(HALTED);
                        }
                    }

                    @Override
                    public void afterOffsetCommit(Map<org.apache.kafka.common.TopicPartition,
                            org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets) {
                        System.out.println("BUG: committed offsets " + offsets + " before halting");
                    }
                })
                .build();
        runner.run();
    }
}
