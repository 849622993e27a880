package io.dedupconsumer.chaos;

import io.dedupconsumer.testkit.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft broker (broker and controller in one process) in a child JVM, from the Kafka jars on this
 * JVM's class path, on fixed ports and a data directory that survive a restart: the same mechanism as
 * {@code bin/kafka-local}, driven from Java so that the chaos suite can stop the broker in the middle of a run and
 * start it again while producers and consumers keep their connection settings.
 */
final class ChildBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChildBroker.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path directory;
    private final Path properties;
    private final int port;
    private ChildJvm process;
    private int starts;

    private ChildBroker(Path directory, Path properties, int port) {
        this.directory = directory;
        this.properties = properties;
        this.port = port;
    }

    /** Formats a new data directory under {@code directory} and starts the broker; returns once it answers. */
    static ChildBroker start(Path directory) {
        try {
            Files.createDirectories(directory);
            int port = freePort();
            int controllerPort = freePort();
            Path data = directory.resolve("data");
            Path properties = directory.resolve("server.properties");
            String config = String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "log.dirs=" + data,
                    "num.partitions=1",
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=6",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    // consumer-protocol (KIP-848) groups: the same timings the classic consumers ask for themselves
                    "group.consumer.min.session.timeout.ms=6000",
                    "group.consumer.session.timeout.ms=6000",
                    "group.consumer.min.heartbeat.interval.ms=1000",
                    "group.consumer.heartbeat.interval.ms=1500",
                    "") ;
            Files.writeString(properties, config, StandardCharsets.UTF_8);
            ChildJvm format = ChildJvm.start("kafka.tools.StorageTool", Map.of(),
                    List.of("format", "-t", Uuid.randomUuid().toString(), "-c", properties.toString()));
            if (!format.waitFor(START_TIMEOUT) || format.exitValue() != 0) {
                format.kill();
                throw new IllegalStateException("could not format the broker's data directory: " + format.output());
            }
            ChildBroker broker = new ChildBroker(directory, properties, port);
            broker.start();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a broker under " + directory, e);
        }
    }

    /** Starts the broker process (again) and waits until it answers. */
    void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the broker is running");
        }
        long begin = System.nanoTime();
        process = ChildJvm.start("kafka.Kafka", Map.of(), List.of(properties.toString()));
        starts++;
        awaitReady();
        log.info("broker on 127.0.0.1:{} up in {} ms (start #{})", port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), starts);
    }

    /** Stops the broker with SIGTERM (a controlled shutdown) and waits until it is gone. */
    void stop() {
        if (process != null) {
            process.stop();
        }
    }

    /** Kills the broker with SIGKILL: its logs are recovered at the next start. */
    void kill() {
        if (process != null) {
            process.kill();
        }
    }

    boolean running() {
        return process != null && process.isAlive();
    }

    String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    Path directory() {
        return directory;
    }

    private void awaitReady() {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(config)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the broker exited at start-up; see " + process.outputFile());
                }
                try {
                    if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                        admin.listTopics().names().get(3, TimeUnit.SECONDS);
                        return;
                    }
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for the broker", e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker did not answer within " + START_TIMEOUT + "; see "
                            + process.outputFile());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
