package io.dedupconsumer.kafkalocal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code docker/compose.yaml} checked without a Docker engine (none runs on our machines): the services, their
 * health checks and start-up order, the wiring between them, and the files the application images are built from.
 * It does not prove that the images pull, build or start; docker/README.md says what was run and what was not.
 */
class ComposeFileTests {

    private static final Path DOCKER = Path.of("..", "docker").toAbsolutePath().normalize();
    private static final Path ROOT = DOCKER.getParent();

    private static JsonNode services;

    @BeforeAll
    static void parse() throws IOException {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
        services = compose.path("services");
        assertThat(services.isObject()).as("services").isTrue();
    }

    @Test
    void composeRunsKafkaMysqlAndBothExamples() {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("kafka", "mysql", "inventory-consumer-example", "payment-callback-example");
    }

    @Test
    void kafkaIsTheOfficialImageOfTheKafkaReleaseOurClientsComeFrom() {
        assertThat(services.path("kafka").path("image").asText()).isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
    }

    @Test
    void thePaymentServiceRequiresItsSigningKeyAndPublishesItsNotifyPort() {
        JsonNode payment = services.path("payment-callback-example");
        assertThat(payment.path("environment").path("PAYMENT_NOTIFY_SECRET").asText())
                .startsWith("${PAYMENT_NOTIFY_SECRET:?");
        assertThat(payment.path("ports").get(0).asText()).endsWith(":8080");
    }

    @Test
    void kafkaRunsInKraftModeAndAdvertisesTheListenersItListensOn() {
        JsonNode env = services.path("kafka").path("environment");
        assertThat(env.path("KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
        assertThat(env.path("KAFKA_CONTROLLER_QUORUM_VOTERS").asText()).isEqualTo(env.path("KAFKA_NODE_ID").asText() + "@kafka:9093");
        assertThat(env.path("KAFKA_LISTENERS").asText()).contains("INTERNAL://:29092", "HOST://:9092", "CONTROLLER://:9093");
        assertThat(env.path("KAFKA_ADVERTISED_LISTENERS").asText())
                .contains("INTERNAL://kafka:29092", "HOST://localhost:${KAFKA_HOST_PORT:-9092}");
        assertThat(services.path("kafka").path("ports").get(0).asText()).isEqualTo("${KAFKA_HOST_PORT:-9092}:9092");
        assertThat(env.path("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR").asInt()).as("one broker").isEqualTo(1);
        assertThat(env.path("KAFKA_LOG_DIRS").asText()).isEqualTo(services.path("kafka").path("volumes").get(0).asText()
                .replaceFirst("^[^:]+:", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "mysql"})
    void infrastructureHasAHealthCheck(String service) {
        JsonNode health = services.path(service).path("healthcheck");
        assertThat(health.path("test").get(0).asText()).isEqualTo("CMD-SHELL");
        assertThat(health.path("test").get(1).asText()).isNotBlank();
        assertThat(health.path("interval").asText()).matches("\\d+s");
        assertThat(health.path("retries").asInt()).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"inventory-consumer-example", "payment-callback-example"})
    void examplesStartOnlyOnceKafkaAndMysqlAreHealthyAndReachThemByServiceName(String app) throws IOException {
        JsonNode service = services.path(app);
        assertThat(service.path("depends_on").path("kafka").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(service.path("depends_on").path("mysql").path("condition").asText()).isEqualTo("service_healthy");

        JsonNode env = service.path("environment");
        assertThat(env.path("KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo("kafka:29092");
        assertThat(env.path("SPRING_KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo("kafka:29092");
        Matcher url = Pattern.compile("jdbc:mysql://mysql:3306/(\\w+)").matcher(env.path("SPRING_DATASOURCE_URL").asText());
        assertThat(url.matches()).as(env.path("SPRING_DATASOURCE_URL").asText()).isTrue();
        String init = Files.readString(DOCKER.resolve("mysql/init.sql"));
        assertThat(init).as("the init script creates and grants the database")
                .contains("CREATE DATABASE IF NOT EXISTS " + url.group(1) + ";")
                .contains("ON " + url.group(1) + ".* TO '" + env.path("SPRING_DATASOURCE_USERNAME").asText() + "'");
        assertThat(env.path("SPRING_DATASOURCE_PASSWORD").asText())
                .isEqualTo(services.path("mysql").path("environment").path("MYSQL_PASSWORD").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"inventory-consumer-example", "payment-callback-example"})
    void exampleImagesAreBuiltFromTheirSpringBootJarWithAContextThatSendsOnlyThatJar(String app) throws IOException {
        JsonNode build = services.path(app).path("build");
        assertThat(DOCKER.resolve(build.path("context").asText()).normalize()).isEqualTo(ROOT);
        Path dockerfile = ROOT.resolve(build.path("dockerfile").asText());
        assertThat(dockerfile).isEqualTo(DOCKER.resolve(app + ".Dockerfile")).exists();

        String jar = app + "/target/" + app + "-*.jar";
        assertThat(Files.readAllLines(dockerfile)).contains("COPY " + jar + " /app/app.jar")
                .anyMatch(line -> line.startsWith("ENTRYPOINT [\"java\", \"-jar\", \"/app/app.jar\"]"));
        List<String> ignored = Files.readAllLines(DOCKER.resolve(app + ".Dockerfile.dockerignore")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
        assertThat(ignored).containsExactly("*", "!" + jar);
    }
}
