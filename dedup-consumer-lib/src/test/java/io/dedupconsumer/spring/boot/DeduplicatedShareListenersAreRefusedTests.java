package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.spring.Deduplicated;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ShareKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultShareConsumerFactory;

/**
 * A {@code @Deduplicated} listener on a share-group container ({@code ShareKafkaListenerContainerFactory},
 * spring-kafka 4) would run without its claim, so the application refuses to start and names the share runner that
 * does deduplicate share groups. (Its own class: spring-kafka 3.3, which the Boot 3.5 compatibility build uses, has no
 * share containers.)
 */
class DeduplicatedShareListenersAreRefusedTests {

    private final ApplicationContextRunner runner = BootAutoConfigurations.onH2WithoutABroker();

    @Test
    void refusesADeduplicatedShareListenerSayingToUseTheShareRunner() {
        runner.withUserConfiguration(ShareFactory.class).withBean(ListenerOnAShareFactory.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
                    .hasMessageContaining("ListenerOnAShareFactory.on")
                    .hasMessageContaining("would run without deduplication")
                    .hasMessageContaining("DedupShareConsumerRunner");
        });
    }

    public static class ListenerOnAShareFactory {
        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "orders", groupId = "orders", containerFactory = "shareFactory")
        public void on(String payload) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ShareFactory {
        @Bean
        ShareKafkaListenerContainerFactory<Object, Object> shareFactory() {
            ShareKafkaListenerContainerFactory<Object, Object> factory = new ShareKafkaListenerContainerFactory<>(
                    new DefaultShareConsumerFactory<>(Map.of("bootstrap.servers", "127.0.0.1:9",
                            "key.deserializer", StringDeserializer.class, "value.deserializer", StringDeserializer.class)));
            factory.setAutoStartup(false);
            return factory;
        }
    }
}
