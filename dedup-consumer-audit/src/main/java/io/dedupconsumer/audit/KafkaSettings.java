package io.dedupconsumer.audit;

import io.dedupconsumer.kafka.DeadLetter;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The Kafka side of every command, a picocli mixin: which topic and group, which cluster, which dead-letter topic.
 * Client properties are passed through untouched (a file, then {@code --kafka-property}), so that whatever the
 * consumer needs to reach its cluster (TLS, SASL) the audit uses too; credentials belong in that file, never in
 * arguments, which show in {@code ps}, shell history and logs.
 */
final class KafkaSettings {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--topic", paramLabel = "TOPIC", required = true, description = "The topic the consumer reads.")
    private String topic;

    @Option(names = "--group", paramLabel = "GROUP", required = true,
            description = "The consumer group whose committed offsets say what the consumer has finished.")
    private String group;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka's bootstrap.servers (or set it in --kafka-config).")
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

    String deadLetterTopic() {
        return deadLetterTopic != null ? deadLetterTopic : DeadLetter.topicOf(topic);
    }

    /** Checks what can be checked before anything connects, so that a wrong setting is a usage error (exit 2). */
    void validate() {
        if (!properties().containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new ParameterException(spec.commandLine(), "no Kafka cluster: give --bootstrap-servers, or set "
                    + "bootstrap.servers in --kafka-config");
        }
    }

    /** The Kafka properties: the file's, then {@code --bootstrap-servers}, then every {@code --kafka-property}. */
    Map<String, Object> properties() {
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
     * join, the audited group. It reads what the library's consumers read, {@code read_committed} (the runner and the
     * Spring container always do: a record of an aborted transaction was never delivered, so it is not lost), and a
     * record deleted by the topic's retention while the audit reads moves it to the next one that exists, never to
     * the end.
     */
    Map<String, Object> readerProperties() {
        Map<String, Object> properties = properties();
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        properties.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "dedup-audit");
        return properties;
    }

    /** The settings as a report prints them: never a secret. */
    Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("topic", topic);
        d.put("group", group);
        d.put("deadLetterTopic", deadLetterTopic());
        return d;
    }
}
