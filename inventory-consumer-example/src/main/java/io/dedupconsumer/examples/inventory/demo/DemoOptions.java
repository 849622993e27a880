package io.dedupconsumer.examples.inventory.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's options, {@code --name=value}. Arguments for the Spring application ({@code --spring.*},
 * {@code --dedup.*}, {@code --inventory.*}, {@code --logging.*}, {@code --management.*}) are passed through to it;
 * anything else is refused with a message naming the option, rather than silently ignored.
 *
 * @param events unique well-formed stock events on known SKUs
 * @param skus SKUs to seed
 * @param duplicates re-sends per unique event (0.25: a quarter as many exact re-sends as unique events)
 * @param conflicts events re-sent under the same event id with another quantity
 * @param bad events that cannot be applied: unknown SKU, malformed, without a usable event id
 * @param seed seed of the workload's random choices; the same seed gives the same workload
 * @param partitions partitions of the stock events topic
 * @param instances application instances consuming the topic at once in the live pass (one consumer group)
 * @param concurrency listener threads per instance
 * @param initialStock units of every SKU at the start; 0 picks an amount that runs some SKUs out of stock
 * @param timeout how long each pass may take to consume the topic before the run fails
 * @param progressEvery how often a pass prints a progress line with its records/s
 * @param listeners the listeners of the service to run the whole demo with, in order: {@code record} (one
 *     transaction per record) and {@code batch} (the throughput mode, one transaction per poll)
 * @param springArgs arguments passed to the Spring application
 */
record DemoOptions(int events, int skus, double duplicates, int conflicts, int bad, long seed, int partitions,
        int instances, int concurrency, int initialStock, Duration timeout, Duration progressEvery,
        List<String> listeners, List<String> springArgs) {

    static final String USAGE = """
            Usage: InventoryDemo [--option=value ...] [--spring.*=... --dedup.*=... --inventory.*=...]
              --events=N          unique well-formed stock events (default 2000)
              --skus=N            SKUs seeded with stock (default 8)
              --duplicates=R      exact re-sends per unique event, 0 to 5 (default 0.25)
              --conflicts=N       same event id re-sent with another quantity (default 10)
              --bad=N             unknown-SKU, malformed and id-less events (default 12)
              --seed=N            seed of the workload (default 42)
              --partitions=N      partitions of the topic (default 4)
              --instances=N       application instances consuming at once in the live pass (default 1)
              --concurrency=N     listener threads per instance (default 2)
              --initial-stock=N   units per SKU at the start (default: enough to run some SKUs out)
              --timeout=S         seconds each pass may take (default 120 + 1 per 200 records)
              --progress=S        seconds between progress lines (default 1)
              --listeners=L,...   the service's listeners to run the demo with, each in turn: record (one
                                  transaction per record), batch (one per poll) (default record,batch)
            External Kafka:    KAFKA_BOOTSTRAP_SERVERS=host:port, or --spring.kafka.bootstrap-servers=host:port
            External database: --spring.datasource.url=jdbc:mysql://127.0.0.1:3306/inventory?createDatabaseIfNotExist=true
                               --spring.datasource.username=... --spring.datasource.password=...
            Exit code: 0 every invariant holds, 1 one failed, 2 bad options, 3 the demo could not run.""";

    private static final List<String> LISTENERS = List.of("record", "batch");
    private static final List<String> SPRING_PREFIXES = List.of("spring.", "dedup.", "inventory.", "logging.",
            "management.");

    DemoOptions {
        requireRange("events", events, 1, 10_000_000);
        requireRange("skus", skus, 1, 10_000);
        if (!(duplicates >= 0 && duplicates <= 5)) {
            throw new IllegalArgumentException("--duplicates: " + duplicates + " is out of range; use 0 to 5");
        }
        requireRange("conflicts", conflicts, 0, events);
        requireRange("bad", bad, 0, 1_000_000);
        requireRange("partitions", partitions, 1, 1_000);
        requireRange("instances", instances, 1, 16);
        requireRange("concurrency", concurrency, 1, 64);
        requireRange("initial-stock", initialStock, 0, 100_000_000);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout: must be positive, was " + timeout.toSeconds());
        }
        if (progressEvery.isNegative() || progressEvery.isZero()) {
            throw new IllegalArgumentException("--progress: must be positive, was " + progressEvery.toSeconds());
        }
        listeners = List.copyOf(listeners);
        if (listeners.isEmpty() || listeners.stream().anyMatch(l -> !LISTENERS.contains(l))
                || listeners.stream().distinct().count() < listeners.size()) {
            throw new IllegalArgumentException("--listeners: " + String.join(",", listeners) + " is not a list of "
                    + "distinct listeners out of " + String.join(", ", LISTENERS));
        }
        springArgs = List.copyOf(springArgs);
    }

    /**
     * Reads the options.
     *
     * @throws IllegalArgumentException naming the option that is unknown, malformed or out of range
     */
    static DemoOptions parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> springArgs = new ArrayList<>();
        for (String arg : args) {
            if (arg.isBlank()) {
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("'" + arg + "': options look like --name=value");
            }
            String body = arg.substring(2);
            if (body.startsWith("inventory.listener=")) {
                throw new IllegalArgumentException("'" + arg + "': the demo sets the listener of each run; use "
                        + "--listeners=record, --listeners=batch or --listeners=record,batch");
            }
            if (SPRING_PREFIXES.stream().anyMatch(body::startsWith)) {
                springArgs.add(arg);
                continue;
            }
            int equals = body.indexOf('=');
            if (equals < 1) {
                throw new IllegalArgumentException("'" + arg + "': options look like --name=value");
            }
            values.put(body.substring(0, equals), body.substring(equals + 1));
        }
        int events = intOption(values, "events", 2000);
        int skus = intOption(values, "skus", 8);
        double duplicates = doubleOption(values, "duplicates", 0.25);
        int conflicts = intOption(values, "conflicts", Math.min(10, events));
        int bad = intOption(values, "bad", 12);
        long seed = longOption(values, "seed", 42);
        int partitions = intOption(values, "partitions", 4);
        int instances = intOption(values, "instances", 1);
        int concurrency = intOption(values, "concurrency", 2);
        int initialStock = intOption(values, "initial-stock", 0);
        long records = Math.round(events * (1 + duplicates)) + conflicts + bad;
        long timeout = longOption(values, "timeout", 120 + records / 200);
        long progress = longOption(values, "progress", 1);
        String listeners = values.remove("listeners");
        if (!values.isEmpty()) {
            throw new IllegalArgumentException("unknown option --" + values.keySet().iterator().next());
        }
        return new DemoOptions(events, skus, duplicates, conflicts, bad, seed, partitions, instances, concurrency,
                initialStock, Duration.ofSeconds(timeout), Duration.ofSeconds(progress),
                listeners == null ? LISTENERS : List.of(listeners.trim().split("\\s*,\\s*")), springArgs);
    }

    /** The value of a Spring property among the passed-through arguments (the last one given), or {@code null}. */
    String springArg(String name) {
        String prefix = "--" + name + "=";
        String value = null;
        for (String arg : springArgs) {
            if (arg.startsWith(prefix)) {
                value = arg.substring(prefix.length());
            }
        }
        return value;
    }

    private static int intOption(Map<String, String> values, String name, int defaultValue) {
        long value = longOption(values, name, defaultValue);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--" + name + ": " + value + " is too large");
        }
        return (int) value;
    }

    private static long longOption(Map<String, String> values, String name, long defaultValue) {
        String text = values.remove(name);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": '" + text + "' is not a whole number");
        }
    }

    private static double doubleOption(Map<String, String> values, String name, double defaultValue) {
        String text = values.remove(name);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": '" + text + "' is not a number");
        }
    }

    private static void requireRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("--" + name + ": " + value + " is out of range; use " + min + " to " + max);
        }
    }
}
