package io.dedupconsumer.kafka;

import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.Outcome;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A share consumer process that dies the hard way right after its first database commit, before the record's
 * acceptance: the child JVM of {@link ShareRunnerCrashTests}. {@code Runtime.halt} skips shutdown hooks and
 * {@code finally} blocks, as a SIGKILL would.
 *
 * <p>Arguments: bootstrap servers, topic, share group, JDBC URL, database user, password.
 */
public final class HaltingShareRunnerMain {

    private HaltingShareRunnerMain() {
    }

    public static void main(String[] args) {
        Deduplicator deduplicator = HaltingRunnerMain.deduplicator(args[2], args[3], args[4], args[5]);
        DedupShareConsumerRunner<String, String> runner = DedupShareConsumerRunner
                .builder(new RunnerFixture.StrictUtf8(), new RunnerFixture.StrictUtf8())
                .consumerProperty("bootstrap.servers", args[0])
                .consumerProperty("group.id", args[2])
                .consumerProperty("share.acquire.mode", "record_limit")
                .consumerProperty("max.poll.records", 2)
                .topics(args[1])
                .deduplicator(deduplicator)
                .handler(RunnerFixture.EFFECT)
                .listener(new RunnerListener() {
                    @Override
                    public void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
                        if (results.stream().anyMatch(r -> r.outcome() == Outcome.PROCESSED)) {
                            System.out.println("halting after the database commit of " + records.get(0).offset());
                            System.out.flush();
                            Runtime.getRuntime().halt(HaltingRunnerMain.HALTED);
                        }
                    }
                })
                .build();
        runner.run();
    }
}
