package io.dedupconsumer.kafkalocal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/kafka-local} for real: it starts a broker from the Maven Central jars on free ports (never 9092, which a
 * developer's own broker may use) in a temporary folder, a kafka-clients producer and consumer use it, and it stops.
 */
class KafkaLocalScriptTests {

    private static final Path SCRIPT = Path.of("..", "bin", "kafka-local").toAbsolutePath().normalize();
    private static final long SCRIPT_TIMEOUT_SECONDS = 240;

    @TempDir
    Path dir;

    private int port;
    private int controllerPort;
    private boolean started;

    @AfterEach
    void stopIfLeftRunning() throws Exception {
        if (started) {
            run("stop");
        }
    }

    @Test
    void startServesProducersAndConsumersKeepsDataAcrossRestartAndStopEndsTheBroker() throws Exception {
        freePorts();

        Result start = run("start");
        started = true;
        assertThat(start.exitCode()).as(start.output()).isZero();
        assertThat(start.output()).contains("running", "bootstrap.servers=127.0.0.1:" + port);
        long pid = Long.parseLong(Files.readString(dir.resolve("kafka.pid")).trim());
        assertThat(ProcessHandle.of(pid)).isPresent();
        assertThat(accepts(port)).isTrue();

        String topic = "kafka-local-" + UUID.randomUUID();
        produce(topic, "order-1", "{\"sku\":\"A-1\",\"quantity\":2}");
        assertThat(consume(topic, 1)).containsExactly("order-1={\"sku\":\"A-1\",\"quantity\":2}");

        Result again = run("start");
        assertThat(again.output()).contains("already running (pid " + pid + ") on 127.0.0.1:" + port);
        assertThat(run("status").exitCode()).isZero();

        Result stop = run("stop");
        assertThat(stop.exitCode()).as(stop.output()).isZero();
        assertThat(stop.output()).contains("stopped (pid " + pid + ")");
        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(accepts(port)).isFalse();
        assertThat(dir.resolve("kafka.pid")).doesNotExist();
        assertThat(run("status").exitCode()).as("status of a stopped broker").isEqualTo(3);

        Result restart = run("start");
        assertThat(restart.exitCode()).as(restart.output()).isZero();
        assertThat(restart.output()).as("the class path is resolved once").doesNotContain("resolving");
        assertThat(consume(topic, 1)).as("records kept across a restart").hasSize(1);
        assertThat(run("stop").exitCode()).isZero();
        started = false;
    }

    @Test
    void startRefusesAPortInUseAndStartsNothing() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = taken.getLocalPort();
            controllerPort = freePort();

            Result start = run("start");

            assertThat(start.exitCode()).isEqualTo(1);
            assertThat(start.output()).contains("port 127.0.0.1:" + port + " is already in use");
            assertThat(dir.resolve("kafka.pid")).doesNotExist();
        }
    }

    @Test
    void stopWithoutARunningBrokerSaysSoAndSucceeds() throws Exception {
        freePorts();
        Files.writeString(dir.resolve("kafka.pid"), String.valueOf(ProcessHandle.current().pid()));

        Result stop = run("stop");

        assertThat(stop.exitCode()).isZero();
        assertThat(stop.output()).as("a pid file naming another process is stale, not ours to kill").contains("not running");
        assertThat(ProcessHandle.current().isAlive()).isTrue();
    }

    private void freePorts() throws IOException {
        port = freePort();
        do {
            controllerPort = freePort();
        } while (controllerPort == port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String bootstrap() {
        return "127.0.0.1:" + port;
    }

    private void produce(String topic, String key, String value) throws Exception {
        Properties props = new Properties();
        props.putAll(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(), ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(60, TimeUnit.SECONDS);
        }
    }

    private List<String> consume(String topic, int expected) {
        Properties props = new Properties();
        props.putAll(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "kafka-local-test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
        List<String> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.add(record.key() + "=" + record.value());
                }
                return received.size() >= expected;
            });
        }
        return received;
    }

    private Result run(String command) throws Exception {
        Path output = Files.createTempFile(dir, command, ".out");
        ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString(), command)
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("KAFKA_LOCAL_DIR", dir.toString());
        builder.environment().put("KAFKA_LOCAL_PORT", String.valueOf(port));
        builder.environment().put("KAFKA_LOCAL_CONTROLLER_PORT", String.valueOf(controllerPort));
        builder.environment().put("KAFKA_LOCAL_HEAP", "384m");
        Process process = builder.start();
        if (!process.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("bin/kafka-local " + command + " did not finish in " + SCRIPT_TIMEOUT_SECONDS + " s: "
                    + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    private record Result(int exitCode, String output) {
    }
}
