package io.dedupconsumer.audit;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code dedup-audit}, the operator's command line: one runnable jar ({@code bin/dedup-audit}) whose commands answer,
 * for any consumer of the library, the questions asked before and after an incident, from what the library records
 * and without a domain model. See docs/operations.md.
 *
 * <p>Exit codes, the same for every command, so that scripts and CI can act on them: {@value #OK} nothing found,
 * {@value #VIOLATIONS} something a consumer must never do was found (a record lost, a claim purged while the topic
 * still holds its record, a conflict left without a dead letter), {@value #USAGE} the command line is wrong,
 * {@value #BROKEN} the audit could not run (broker or database unreachable, table missing).
 */
@Command(name = "dedup-audit", mixinStandardHelpOptions = true, versionProvider = DedupAuditCommand.Version.class,
        subcommands = {AuditCommand.class, InspectCommand.class, ReplayCommand.class, PurgeCommand.class},
        description = "Audits a dedup consumer from its topic, dedup table, committed offsets and dead letters.")
public final class DedupAuditCommand {

    static final int OK = 0;
    static final int VIOLATIONS = 1;
    static final int USAGE = 2;
    static final int BROKEN = 3;

    private DedupAuditCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line, writing the report to {@code out} and progress and errors to {@code err}. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine line = new CommandLine(new DedupAuditCommand());
        line.setOut(out);
        line.setErr(err);
        // picocli answers a wrong command line with CommandLine.ExitCode.USAGE, our USAGE (2)
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println("dedup-audit: could not run: " + message(e));
            err.flush();
            return BROKEN;
        });
        return line.execute(args);
    }

    private static String message(Throwable e) {
        StringBuilder s = new StringBuilder(String.valueOf(e.getMessage() != null ? e.getMessage() : e.toString()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !s.toString().contains(c.getMessage())) {
                s.append(": ").append(c.getMessage());
            }
        }
        return s.toString();
    }

    /** The version of the jar, from its manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = DedupAuditCommand.class.getPackage().getImplementationVersion();
            return new String[] {"dedup-audit " + (version != null ? version : "(development build)")};
        }
    }
}
