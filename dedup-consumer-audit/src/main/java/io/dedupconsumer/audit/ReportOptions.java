package io.dedupconsumer.audit;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How the commands that scan a topic report: text or JSON, how many findings they list, how often progress. */
final class ReportOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--json", description = "Print the result as JSON instead of text.")
    private boolean json;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Findings (records) listed per kind; counts are always complete (default: ${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--progress-interval", defaultValue = "PT10S", paramLabel = "DURATION",
            description = "How often progress is written to stderr (default: ${DEFAULT-VALUE}).")
    private Duration progressInterval;

    void validate() {
        if (limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit must be 0 or more");
        }
    }

    boolean json() {
        return json;
    }

    int limit() {
        return limit;
    }

    Duration progressInterval() {
        return progressInterval;
    }
}
