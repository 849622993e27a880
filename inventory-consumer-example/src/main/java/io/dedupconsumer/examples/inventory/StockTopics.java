package io.dedupconsumer.examples.inventory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.stereotype.Component;

/**
 * Creates the stock events topic and its dead-letter topic when they are missing, before the listener starts, and
 * never changes a topic that exists. Spring's {@code NewTopic} beans would be shorter, but {@code KafkaAdmin} adds
 * partitions to an existing topic that has fewer than declared, and adding partitions to a topic keyed by SKU moves
 * SKUs to other partitions: their events would no longer be read in order. A topic with another partition count is
 * left as it is, with a warning.
 */
@Component
final class StockTopics implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(StockTopics.class);
    private static final long TIMEOUT_SECONDS = 30;

    private final KafkaAdmin kafkaAdmin;
    private final InventoryProperties properties;

    StockTopics(KafkaAdmin kafkaAdmin, InventoryProperties properties) {
        this.kafkaAdmin = kafkaAdmin;
        this.properties = properties;
    }

    @Override
    public void afterPropertiesSet() throws InterruptedException, ExecutionException, TimeoutException {
        if (!properties.createTopics()) {
            return;
        }
        List<String> names = List.of(properties.topic(), properties.deadLetterTopic());
        try (Admin admin = Admin.create(kafkaAdmin.getConfigurationProperties())) {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            for (String name : names) {
                if (existing.contains(name)) {
                    warnIfResized(admin, name);
                    continue;
                }
                try {
                    admin.createTopics(List.of(new NewTopic(name, Optional.of(properties.partitions()), Optional.empty())))
                            .all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    log.info("created topic {} with {} partitions", name, properties.partitions());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    // another instance created it first
                }
            }
        }
    }

    private void warnIfResized(Admin admin, String name) throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, TopicDescription> described = admin.describeTopics(List.of(name)).allTopicNames()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int partitions = described.get(name).partitions().size();
        if (partitions != properties.partitions()) {
            log.warn("topic {} has {} partitions, inventory.partitions says {}; left as it is (adding partitions to a "
                    + "keyed topic breaks the order of each key's events)", name, partitions, properties.partitions());
        }
    }
}
