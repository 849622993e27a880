package io.dedupconsumer.lab;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The strategy lab's command line. It fires concurrent duplicate deliveries of one event at each
 * duplicate-protection strategy against a real MariaDB/MySQL and Redis, round after round, and prints how often
 * the database ended up with the event applied twice. It exists so that claims like "a Redis lock prevents
 * duplicates" are settled by measurement on real servers rather than by argument; docs/strategies.md shows a run
 * and explains each row.
 */
@Command(name = "strategy-lab", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Races K simultaneous deliveries of the same event against each duplicate-protection strategy "
                + "for R rounds and counts the double effects left in the database.")
public final class Lab implements Callable<Integer> {

    @Option(names = {"-k", "--concurrency"}, defaultValue = "8",
            description = "Deliveries of the same event fired at once, each on its own connection (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = {"-r", "--rounds"}, defaultValue = "50",
            description = "Events per strategy, each delivered K times (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = {"-s", "--strategies"}, split = ",", paramLabel = "NAME",
            description = "Strategies to run, comma separated (default: all): ${COMPLETION-CANDIDATES}.",
            completionCandidates = StrategyNames.class)
    List<String> strategies = StrategyCatalog.NAMES;

    @Option(names = {"-w", "--race-window-ms"}, split = ",", defaultValue = "0,5", paramLabel = "MS",
            description = "Time each transaction stays open after its writes, before commit; several values run the "
                    + "whole set once per value (default: ${DEFAULT-VALUE}).")
    List<Long> raceWindowsMs;

    @Option(names = "--jdbc-url", defaultValue = Endpoints.LOCAL_JDBC_URL,
            description = "Any database on the server; the lab creates and drops its own next to it (default: ${DEFAULT-VALUE}).")
    String jdbcUrl;

    @Option(names = "--user", defaultValue = "root", description = "Database user (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password", defaultValue = "", description = "Database password (default: empty).")
    String password;

    @Option(names = "--redis-host", defaultValue = "127.0.0.1", description = "Redis host (default: ${DEFAULT-VALUE}).")
    String redisHost;

    @Option(names = "--redis-port", defaultValue = "6379", description = "Redis port (default: ${DEFAULT-VALUE}).")
    int redisPort;

    @Spec
    CommandSpec spec;

    /** Runs the lab; exits 0 after printing the table (whatever it shows), 1 if a server fails, 2 for bad options. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new Lab()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Plan> plans = plans();
        for (String name : strategies) {
            if (!StrategyCatalog.NAMES.contains(name)) {
                throw new ParameterException(spec.commandLine(),
                        "--strategies: unknown strategy '" + name + "', known: " + StrategyCatalog.NAMES);
            }
        }
        Endpoints endpoints = endpoints();
        PrintWriter out = spec.commandLine().getOut();
        List<TrialResult> results = new ArrayList<>();
        try (LabSession session = LabSession.open(endpoints, concurrency)) {
            out.printf("strategy-lab: K=%d concurrent deliveries x R=%d rounds per strategy; %s; %d CPUs; "
                            + "lab database %s (dropped at exit)%n",
                    concurrency, rounds, session.servers(), Runtime.getRuntime().availableProcessors(),
                    session.database());
            out.flush();
            for (Plan plan : plans) {
                for (String name : strategies) {
                    results.add(session.run(name, plan));
                }
            }
        }
        out.println();
        out.print(new ResultTable(results).render());
        out.flush();
        return 0;
    }

    private Endpoints endpoints() {
        try {
            return new Endpoints(jdbcUrl, user, password, redisHost, redisPort);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private List<Plan> plans() {
        List<Plan> plans = new ArrayList<>();
        for (long windowMs : raceWindowsMs) {
            try {
                plans.add(new Plan(concurrency, rounds, RaceWindow.ofMillis(windowMs)));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return plans;
    }

    /** Feeds the strategy names to picocli's help text. */
    static final class StrategyNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return StrategyCatalog.NAMES.iterator();
        }
    }
}
