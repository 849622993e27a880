package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.dedupconsumer.kafka.DedupConsumerRunner;
import io.dedupconsumer.kafka.RetentionGuard;
import io.dedupconsumer.redis.RedisDedupGuard;
import java.time.Duration;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The builders of the core, the kafka-clients runner and the Redis guard refuse a bad value with an
 * {@link InvalidSettingException} naming its setter and the value, so that an integration can report it under its own
 * name for the setting (Spring Boot's {@code dedup.*} properties). The jdbc package's operator tools depend on nothing
 * else of the library and refuse with a plain {@link IllegalArgumentException}.
 */
class InvalidSettingExceptionTests {

    static Stream<Arguments> refusals() {
        return Stream.of(
                refusal("consumerName", "has spaces", () -> Deduplicator.builder().consumerName("has spaces")),
                refusal("transientAttempts", 0, () -> Deduplicator.builder().transientAttempts(0)),
                refusal("transactionTimeout", Duration.ZERO, () -> Deduplicator.builder().transactionTimeout(Duration.ZERO)),
                refusal("window", Duration.ZERO, () -> RetentionGuard.builder().window(Duration.ZERO)),
                refusal("timeout", Duration.ofMinutes(11), () -> RetentionGuard.builder().timeout(Duration.ofMinutes(11))),
                refusal("maxAttempts", 0, () -> runner().maxAttempts(0)),
                refusal("pollTimeout", Duration.ZERO, () -> runner().pollTimeout(Duration.ZERO)),
                refusal("ttl", Duration.ZERO, () -> RedisDedupGuard.builder().ttl(Duration.ZERO)));
    }

    private static Arguments refusal(String setting, Object value, ThrowingCallable builder) {
        return Arguments.of(setting, value, builder);
    }

    private static DedupConsumerRunner.Builder<String, String> runner() {
        return DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void namesTheSettingTheValueAndTheReason(String setting, Object value, ThrowingCallable builder) {
        InvalidSettingException refusal = catchThrowableOfType(InvalidSettingException.class, builder);
        assertThat(refusal).as("refusal of %s=%s", setting, value).isNotNull();
        assertThat(refusal.setting()).isEqualTo(setting);
        assertThat(refusal.value()).isEqualTo(value);
        assertThat(refusal.reason()).isNotBlank();
        assertThat(refusal).hasMessage(setting + ": " + refusal.reason());
    }
}
