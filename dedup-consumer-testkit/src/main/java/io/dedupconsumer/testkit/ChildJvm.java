package io.dedupconsumer.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Java main class running in a child JVM, so a test can kill it the way production processes die.
 *
 * <p>Exactly-once has to survive a process that disappears between the database commit and the
 * Kafka offset commit. That cannot be simulated inside the test JVM: {@link #kill()} sends SIGKILL,
 * so no shutdown hook, {@code finally} block or pending commit runs, while {@link #stop()} sends
 * SIGTERM for a graceful shutdown. The child runs with the test's classpath, so any class visible to
 * the test can be its main class. Its standard output and error go to a file ({@link #outputFile()},
 * {@link #output()}) that survives the child: {@code target/child-jvm-logs/} under Maven.
 *
 * <p>Children still alive when the test JVM exits are killed by a shutdown hook.
 */
public final class ChildJvm implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChildJvm.class);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC",
            "-Djava.net.preferIPv4Stack=true");

    private static final Set<ChildJvm> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(ChildJvm::kill), "child-jvm-reaper"));
    }

    private final String mainClassName;

    private final Process process;

    private final Path outputFile;

    private ChildJvm(String mainClassName, Process process, Path outputFile) {
        this.mainClassName = mainClassName;
        this.process = process;
        this.outputFile = outputFile;
    }

    /**
     * Starts {@code mainClass} in a child JVM with this JVM's classpath and environment.
     *
     * @param mainClass the class whose {@code main} to run
     * @param systemProperties system properties for the child ({@code -Dkey=value})
     * @param args the arguments for {@code main}
     * @return the running child
     */
    public static ChildJvm start(Class<?> mainClass, Map<String, String> systemProperties, String... args) {
        return start(mainClass.getName(), systemProperties, List.of(args));
    }

    /**
     * Starts the named main class in a child JVM with this JVM's classpath and environment.
     *
     * @param mainClassName the fully qualified name of the class whose {@code main} to run
     * @param systemProperties system properties for the child ({@code -Dkey=value})
     * @param args the arguments for {@code main}
     * @return the running child
     */
    public static ChildJvm start(String mainClassName, Map<String, String> systemProperties, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(DEFAULT_JVM_OPTIONS);
        new TreeMap<>(systemProperties).forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClassName);
        command.addAll(args);
        try {
            String simpleName = mainClassName.substring(mainClassName.lastIndexOf('.') + 1);
            Path outputFile = Files.createTempFile(logDirectory(), "child-jvm-" + simpleName + "-", ".log");
            File output = outputFile.toFile();
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            ChildJvm child = new ChildJvm(mainClassName, process, outputFile);
            RUNNING.add(child);
            process.onExit().thenRun(() -> RUNNING.remove(child));
            log.info("Started child JVM {} running {} {} (output: {})", process.pid(), mainClassName, args,
                    outputFile);
            return child;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start a child JVM for " + mainClassName, ex);
        }
    }

    /** Under Maven, {@code target/child-jvm-logs} next to the surefire reports; otherwise the temp directory. */
    private static Path logDirectory() throws IOException {
        Path target = Path.of(System.getProperty("user.dir"), "target");
        if (!Files.isDirectory(target)) {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }
        return Files.createDirectories(target.resolve("child-jvm-logs"));
    }

    /**
     * Returns the child's process id.
     *
     * @return the operating system pid
     */
    public long pid() {
        return this.process.pid();
    }

    /**
     * Tells whether the child is still running.
     *
     * @return true until the child exits
     */
    public boolean isAlive() {
        return this.process.isAlive();
    }

    /** Kills the child with SIGKILL, without giving it any chance to clean up, and waits until it is gone. */
    public void kill() {
        if (!this.process.isAlive()) {
            return;
        }
        this.process.destroyForcibly();
        awaitExit(STOP_TIMEOUT);
        log.info("Killed child JVM {} ({})", pid(), this.mainClassName);
    }

    /**
     * Asks the child to stop with SIGTERM (shutdown hooks run) and waits for it; kills it if it has not
     * stopped after 30 seconds.
     *
     * @return the child's exit code (143 when it ended because of the SIGTERM)
     */
    public int stop() {
        if (this.process.isAlive()) {
            this.process.destroy();
            if (!awaitExit(STOP_TIMEOUT)) {
                log.warn("Child JVM {} ({}) ignored SIGTERM for {}; killing it", pid(), this.mainClassName,
                        STOP_TIMEOUT);
                kill();
            }
        }
        return this.process.exitValue();
    }

    /**
     * Waits for the child to exit by itself.
     *
     * @param timeout how long to wait at most
     * @return true if the child has exited
     */
    public boolean waitFor(Duration timeout) {
        return awaitExit(timeout);
    }

    /**
     * Returns the exit code of a child that has exited.
     *
     * @return the exit code (137 after {@link #kill()}, 143 after {@link #stop()} unless the child chose another)
     * @throws IllegalStateException if the child is still running
     */
    public int exitValue() {
        if (this.process.isAlive()) {
            throw new IllegalStateException("Child JVM " + pid() + " is still running");
        }
        return this.process.exitValue();
    }

    /**
     * Returns the file receiving the child's standard output and error.
     *
     * @return the output file (kept after the child ends)
     */
    public Path outputFile() {
        return this.outputFile;
    }

    /**
     * Reads everything the child has printed so far (standard output and error).
     *
     * @return the output
     */
    public String output() {
        try {
            return new String(Files.readAllBytes(this.outputFile), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not read " + this.outputFile, ex);
        }
    }

    /** Kills the child if it is still running. */
    @Override
    public void close() {
        kill();
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for child JVM " + pid(), ex);
        }
    }

    @Override
    public String toString() {
        return "ChildJvm[pid=" + pid() + ", main=" + this.mainClassName + "]";
    }
}
