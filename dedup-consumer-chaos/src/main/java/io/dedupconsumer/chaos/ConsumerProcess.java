package io.dedupconsumer.chaos;

import io.dedupconsumer.testkit.ChildJvm;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One incarnation of the inventory service in a child JVM ({@link ChaosConsumerApplication}), and what its output
 * says about it: ready, which fault fired, how many records it finished with each outcome. The orchestrator calls
 * {@link #poll()} from one thread.
 */
final class ConsumerProcess {

    /** What the Kafka consumer logs when the group evicts it for not polling in time: it has become a zombie. */
    static final String POLL_TIMEOUT = "consumer poll timeout has expired";

    private final int incarnation;
    private final FaultPlan plan;
    private final ChildJvm jvm;
    private final List<String> faults = new ArrayList<>();
    private final Map<String, Long> stats = new HashMap<>();
    private final StringBuilder partial = new StringBuilder();
    private long position;
    private boolean ready;
    private int evictions;

    private ConsumerProcess(int incarnation, FaultPlan plan, ChildJvm jvm) {
        this.incarnation = incarnation;
        this.plan = plan;
        this.jvm = jvm;
    }

    /** Starts incarnation {@code incarnation} with {@code args} and the fault plan's arguments. */
    static ConsumerProcess start(int incarnation, FaultPlan plan, List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.addAll(plan.args());
        return new ConsumerProcess(incarnation, plan, ChildJvm.start(ChaosConsumerApplication.class.getName(), Map.of(), all));
    }

    /** Reads what the process printed since the last call. */
    void poll() {
        try (RandomAccessFile file = new RandomAccessFile(jvm.outputFile().toFile(), "r")) {
            long length = file.length();
            if (length <= position) {
                return;
            }
            byte[] bytes = new byte[(int) Math.min(length - position, 4 << 20)];
            file.seek(position);
            file.readFully(bytes);
            position += bytes.length;
            partial.append(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return;
        }
        int newline;
        while ((newline = partial.indexOf("\n")) >= 0) {
            line(partial.substring(0, newline));
            partial.delete(0, newline + 1);
        }
    }

    private void line(String line) {
        if (line.startsWith(FaultInjection.READY)) {
            ready = true;
        } else if (line.startsWith(FaultPlan.MARKER)) {
            faults.add(line.substring(FaultPlan.MARKER.length()).trim().split(" ")[0]);
        } else if (line.toLowerCase(Locale.ROOT).contains(POLL_TIMEOUT)) { // "Consumer poll ..." under KIP-848
            evictions++;
        } else if (line.startsWith(FaultInjection.STATS)) {
            for (String part : line.substring(FaultInjection.STATS.length()).trim().split(" ")) {
                int equals = part.indexOf('=');
                if (equals > 0) {
                    stats.put(part.substring(0, equals), Long.parseLong(part.substring(equals + 1)));
                }
            }
        }
    }

    int incarnation() {
        return incarnation;
    }

    FaultPlan plan() {
        return plan;
    }

    boolean ready() {
        return ready;
    }

    /** How often the group evicted this process for not polling within {@code max.poll.interval.ms}. */
    int evictions() {
        return evictions;
    }

    boolean alive() {
        return jvm.isAlive();
    }

    /** The exit code, once it exited. */
    int exitCode() {
        return jvm.exitValue();
    }

    /** The faults that fired, by name ({@code halt-after-commit}, {@code stall-before-commit}, ...). */
    List<String> faults() {
        return List.copyOf(faults);
    }

    /** The last outcome counters it printed ({@code PROCESSED}, {@code DUPLICATE}, ..., {@code commits}). */
    long stat(String name) {
        return stats.getOrDefault(name, 0L);
    }

    void kill() {
        jvm.kill();
    }

    /** SIGTERM, waiting for a graceful stop (SIGKILL after 30 seconds). */
    void stop() {
        jvm.stop();
    }

    long pid() {
        return jvm.pid();
    }

    @Override
    public String toString() {
        return "consumer #" + incarnation + " (pid " + jvm.pid() + ", " + plan.describe() + ")";
    }
}
