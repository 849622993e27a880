package io.dedupconsumer.benchmark;

import io.dedupconsumer.testkit.KafkaBroker;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark's command line. A dedup library is only worth adopting if its cost is known, so this measures, in
 * one run and on a real broker and real databases, a plain consumer with no database, the same side effect without
 * deduplication (per record and per poll), and with the {@code Deduplicator} (per record and per poll), at several
 * duplicate rates and partition counts, and prints medians and same-run ratios as Markdown. BENCHMARKS.md shows a
 * run and how to read it.
 */
@Command(name = "dedup-consumer-benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measures records/s and poll-to-commit latency of Kafka consumers with and without "
                + "deduplication on MariaDB and PostgreSQL; prints Markdown tables of medians and ratios.")
public final class BenchmarkCommand implements Callable<Integer> {

    @Option(names = "--smoke", description = "A few thousand records, one repetition, 2 partitions, 10%% duplicates, "
            + "every scenario, no warm-up: checks that everything runs and counts right (CI), times mean nothing.")
    boolean smoke;

    @Option(names = "--databases", split = ",", defaultValue = "MARIADB,POSTGRESQL",
            description = "Databases (default: ${DEFAULT-VALUE}).")
    List<Database> databases;

    @Option(names = "--partitions", split = ",", defaultValue = "1,4",
            description = "Partition counts, one consumer thread per partition (default: ${DEFAULT-VALUE}).")
    List<Integer> partitions;

    @Option(names = "--duplicates", split = ",", defaultValue = "0,10,50",
            description = "Duplicate percentages (default: ${DEFAULT-VALUE}).")
    List<Integer> duplicates;

    @Option(names = "--scenarios", split = ",",
            description = "Scenarios (default: all): ${COMPLETION-CANDIDATES}.")
    List<Scenario> scenarios = List.of(Scenario.values());

    @Option(names = "--records", defaultValue = "30000",
            description = "Records per topic, read by the consume-only and per-poll scenarios (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--per-record-records", defaultValue = "3000",
            description = "Records read by the per-record scenarios (default: ${DEFAULT-VALUE}).")
    int perRecordRecords;

    @Option(names = "--repetitions", defaultValue = "3", description = "Timed repetitions (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--no-warm-up", description = "Skip the unreported warm-up run of every scenario.")
    boolean noWarmUp;

    @Option(names = "--probe-seconds", defaultValue = "3",
            description = "Seconds each database commit-rate probe runs (default: ${DEFAULT-VALUE}).")
    int probeSeconds;

    @Option(names = "--soak-records", defaultValue = "0",
            description = "Instead of the benchmark: a heap soak of the batched fast path over this many distinct keys.")
    int soakRecords;

    @Option(names = "--soak-sample-seconds", defaultValue = "10",
            description = "Seconds between heap samples of the soak (default: ${DEFAULT-VALUE}).")
    int soakSampleSeconds;

    @Option(names = "--mariadb-url-parameters", defaultValue = "",
            description = "JDBC URL parameters for every MariaDB pool, e.g. "
                    + "cachePrepStmts=true&prepStmtCacheSqlLimit=16384&useServerPrepStmts=true (default: none).")
    String mariadbUrlParameters;

    @Option(names = "--output", description = "Also write the Markdown report to this file.")
    Path output;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new BenchmarkCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public Integer call() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String markdown;
        if (soakRecords > 0) {
            markdown = HeapSoak.run(broker, databases.get(0), soakRecords, Duration.ofSeconds(soakSampleSeconds))
                    .markdown();
        } else {
            markdown = new Benchmark(broker, settings()).run().markdown();
        }
        PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        stdout.println(markdown);
        if (output != null) {
            Files.writeString(output, markdown, StandardCharsets.UTF_8);
        }
        return 0;
    }

    Settings settings() {
        if (smoke) {
            return Settings.smoke();
        }
        return new Settings(databases, partitions, duplicates, scenarios, records, perRecordRecords, repetitions,
                !noWarmUp, Duration.ofSeconds(probeSeconds), Duration.ofMinutes(10), mariadbUrlParameters);
    }
}
