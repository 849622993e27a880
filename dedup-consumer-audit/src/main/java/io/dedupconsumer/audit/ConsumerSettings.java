package io.dedupconsumer.audit;

import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.kafka.DeadLetter;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The settings every command shares, named as the library names them: which topic, group and consumer name, where
 * the dedup key comes from, which table and database, which Kafka cluster. A picocli mixin, so that each command
 * reads them the same way.
 *
 * <p>Secrets never travel as arguments (they would show in {@code ps}, shell history and logs): the database password
 * comes from an environment variable or a file, and Kafka credentials (SASL JAAS config, key store passwords) from the
 * Kafka properties file. The table name is the one identifier put into SQL text, so it is checked with
 * {@link DedupTable#validName} before anything runs.
 */
final class ConsumerSettings {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--topic", paramLabel = "TOPIC", required = true, description = "The topic the consumer reads.")
    private String topic;

    @Option(names = "--group", paramLabel = "GROUP", required = true,
            description = "The consumer group whose committed offsets say what the consumer has finished.")
    private String group;

    @Option(names = "--consumer-name", paramLabel = "NAME",
            description = "The dedup consumer name that scopes the keys in the table (default: the group).")
    private @Nullable String consumerName;

    @Option(names = "--key", required = true, converter = KeyOption.Converter.class, paramLabel = "SOURCE",
            description = "Where the consumer reads the dedup key: header:NAME, record-key or json:FIELD.")
    private KeyOption key;

    @Option(names = "--table", paramLabel = "TABLE", defaultValue = DedupTable.DEFAULT_NAME,
            description = "The dedup table, optionally schema.table (default: ${DEFAULT-VALUE}).")
    private String table = DedupTable.DEFAULT_NAME;

    @Option(names = "--jdbc-url", paramLabel = "URL", required = true, description = "The JDBC URL of the consumer's database "
            + "(jdbc:mysql:, jdbc:mariadb: or jdbc:postgresql:).")
    private String jdbcUrl;

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "The database user; read-only access to the table is enough.")
    private @Nullable String jdbcUser;

    @Option(names = "--jdbc-password-env", paramLabel = "VARIABLE",
            description = "The environment variable holding the database password.")
    private @Nullable String passwordEnv;

    @Option(names = "--jdbc-password-file", paramLabel = "FILE",
            description = "A file holding the database password (its first line).")
    private @Nullable Path passwordFile;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka's bootstrap.servers (or set it in --kafka-config).")
    private @Nullable String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "A Kafka client properties file (security.protocol, ssl.*, sasl.*, ...), passed through.")
    private @Nullable Path kafkaConfig;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "A Kafka client property, passed through; repeatable; wins over --kafka-config.")
    private Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--dead-letter-topic", paramLabel = "TOPIC",
            description = "The dead-letter topic (default: the topic followed by " + DeadLetter.TOPIC_SUFFIX + ").")
    private @Nullable String deadLetterTopic;

    String topic() {
        return topic;
    }

    String group() {
        return group;
    }

    String consumerName() {
        return consumerName != null ? consumerName : group;
    }

    KeyOption key() {
        return key;
    }

    String deadLetterTopic() {
        return deadLetterTopic != null ? deadLetterTopic : DeadLetter.topicOf(topic);
    }

    /** The validated table name; a usage error (exit 2) otherwise. */
    String table() {
        try {
            return DedupTable.validName(table);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
    }

    /** Checks what can be checked before anything connects, so that a wrong setting is a usage error (exit 2). */
    void validate() {
        table();
        if (passwordEnv != null && passwordFile != null) {
            throw new ParameterException(spec.commandLine(),
                    "--jdbc-password-env and --jdbc-password-file are alternatives; give one");
        }
        if (passwordEnv != null && System.getenv(passwordEnv) == null) {
            throw new ParameterException(spec.commandLine(), "--jdbc-password-env: the environment variable "
                    + passwordEnv + " is not set");
        }
        if (!kafka().containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new ParameterException(spec.commandLine(), "no Kafka cluster: give --bootstrap-servers, or set "
                    + "bootstrap.servers in --kafka-config");
        }
    }

    /**
     * The Kafka properties: the file's, then {@code --bootstrap-servers}, then every {@code --kafka-property}.
     */
    Map<String, Object> kafka() {
        Map<String, Object> properties = new HashMap<>();
        if (kafkaConfig != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(kafkaConfig, StandardCharsets.UTF_8)) {
                file.load(reader);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--kafka-config: cannot read " + kafkaConfig + ": " + e);
            }
            file.forEach((k, v) -> properties.put((String) k, v));
        }
        if (bootstrapServers != null) {
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        properties.putAll(kafkaProperties);
        return properties;
    }

    /**
     * Consumer properties for reading a topic without a group: nothing the audit does can commit an offset of, or
     * join, the audited group.
     */
    Map<String, Object> readerProperties() {
        Map<String, Object> properties = kafka();
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        properties.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "dedup-audit");
        return properties;
    }

    /** A read-only connection to the consumer's database. */
    Connection connect() throws SQLException {
        Properties login = new Properties();
        if (jdbcUser != null) {
            login.setProperty("user", jdbcUser);
        }
        String password = password();
        if (password != null) {
            login.setProperty("password", password);
        }
        Connection connection = DriverManager.getConnection(jdbcUrl, login);
        connection.setReadOnly(true);
        return connection;
    }

    private @Nullable String password() {
        if (passwordEnv != null) {
            return System.getenv(passwordEnv);
        }
        if (passwordFile != null) {
            try {
                return Files.readAllLines(passwordFile, StandardCharsets.UTF_8).stream().findFirst().orElse("");
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--jdbc-password-file: cannot read " + passwordFile
                        + ": " + e);
            }
        }
        return null;
    }

    /** The settings as the report prints them: never a secret. */
    Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("topic", topic);
        d.put("group", group);
        d.put("consumerName", consumerName());
        d.put("key", key.spec());
        d.put("table", table);
        d.put("deadLetterTopic", deadLetterTopic());
        return d;
    }
}
