package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.spring.DedupListenerSettings;
import io.dedupconsumer.spring.boot.DedupProperties.RetentionCheck;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The {@code dedup.*} properties: every one binds, every one that can hold a bad value is refused under its own name,
 * and the bounds are the builders' (Boot has none of its own). The property names come from the metadata Boot's
 * configuration processor generates from {@link DedupProperties}, so a new property without a case here fails.
 */
class DedupPropertiesTests {

    /** Properties no bound value makes invalid on its own, and why. */
    private static final Map<String, String> NOTHING_INVALID = Map.of(
            "dedup.enabled", "read by the auto-configuration's condition only: any value but true turns it off",
            "dedup.key.header", "any text names a header (blank is unset); two key sources: refusesTwoKeySources",
            "dedup.key.json-field", "any text names a field (blank is unset); two key sources: refusesTwoKeySources");

    private final ApplicationContextRunner runner = BootAutoConfigurations.onH2WithoutABroker();

    /** A value other than the default for each property, as text and as bound. */
    private record Bound(String property, String text, Object value) {
    }

    private static final List<Bound> EVERY_PROPERTY = List.of(
            new Bound("dedup.enabled", "false", false),
            new Bound("dedup.table", "app.my_dedup", "app.my_dedup"),
            new Bound("dedup.consumer-name", "orders", "orders"),
            new Bound("dedup.conflict-policy", "fail", ConflictPolicy.FAIL),
            new Bound("dedup.retention", "30d", Duration.ofDays(30)),
            new Bound("dedup.retention-check", "off", RetentionCheck.OFF),
            new Bound("dedup.key.header", "event-id", "event-id"),
            new Bound("dedup.key.json-field", "/payment/txId", "/payment/txId"),
            new Bound("dedup.key.expression", "headers['id']", "headers['id']"),
            new Bound("dedup.batch.one-transaction", "false", false),
            new Bound("dedup.retry.initial-interval", "200ms", Duration.ofMillis(200)),
            new Bound("dedup.retry.multiplier", "3", 3.0),
            new Bound("dedup.retry.max-interval", "5s", Duration.ofSeconds(5)),
            new Bound("dedup.retry.max-attempts", "2", 2),
            new Bound("dedup.schema.migrate", "false", false),
            new Bound("dedup.purge.enabled", "false", false),
            new Bound("dedup.purge.interval", "5m", Duration.ofMinutes(5)),
            new Bound("dedup.purge.batch-size", "500", 500));

    @Test
    void bindsEveryProperty() {
        assertThat(EVERY_PROPERTY).extracting(Bound::property).containsExactlyInAnyOrderElementsOf(properties());
        Map<String, String> values = EVERY_PROPERTY.stream().collect(Collectors.toMap(Bound::property, Bound::text));
        DedupProperties bound = new Binder(new MapConfigurationPropertySource(values))
                .bind("dedup", Bindable.ofInstance(new DedupProperties())).get();
        DedupProperties defaults = new DedupProperties();
        for (Bound property : EVERY_PROPERTY) {
            assertThat(read(defaults, property.property())).as("default of %s", property.property())
                    .isNotEqualTo(property.value());
            assertThat(read(bound, property.property())).as(property.property()).isEqualTo(property.value());
        }
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                Arguments.of("dedup.table", "bad-name"),
                Arguments.of("dedup.table", "a.b.c"),
                Arguments.of("dedup.consumer-name", "has spaces"),
                Arguments.of("dedup.conflict-policy", "maybe"),
                Arguments.of("dedup.retention", "-1s"),
                Arguments.of("dedup.retention", "0s"),
                Arguments.of("dedup.retention", "30s"),
                Arguments.of("dedup.retention-check", "maybe"),
                Arguments.of("dedup.key.expression", "payload.("),
                Arguments.of("dedup.batch.one-transaction", "maybe"),
                Arguments.of("dedup.retry.initial-interval", "0ms"),
                Arguments.of("dedup.retry.multiplier", "0.5"),
                Arguments.of("dedup.retry.max-interval", "10ms"),
                Arguments.of("dedup.retry.max-attempts", "0"),
                Arguments.of("dedup.schema.migrate", "maybe"),
                Arguments.of("dedup.purge.enabled", "maybe"),
                Arguments.of("dedup.purge.interval", "0s"),
                Arguments.of("dedup.purge.batch-size", "0"));
    }

    @Test
    void everyPropertyHasAnInvalidValueOrAReasonItHasNone() {
        Set<String> covered = invalidValues().map(arguments -> (String) arguments.get()[0]).collect(Collectors.toSet());
        covered.addAll(NOTHING_INVALID.keySet());
        assertThat(covered).containsExactlyInAnyOrderElementsOf(properties());
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("invalidValues")
    void refusesAnInvalidValueNamingExactlyItsProperty(String property, String value) {
        runner.withPropertyValues(property + "=" + value).run(context -> {
            assertThat(context).hasFailed();
            assertThat(propertyNamedBy(context.getStartupFailure())).isEqualTo(property);
        });
    }

    /**
     * A bound checked by a builder: a value it accepts at the edge, one it refuses, and the builder refusing it. The
     * dedup window's minimum is DedupRetention's (the builder that deletes keys by it); RetentionGuard only asks for a
     * positive window, and Boot for none.
     */
    static Stream<Arguments> builderBounds() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:bounds");
        return Stream.of(
                bound("dedup.retention", "1m", "59s", () -> DedupRetention.builder().window(Duration.ofSeconds(59))),
                bound("dedup.purge.batch-size", "10000", "10001", () -> DedupRetention.builder().batchSize(10_001)),
                bound("dedup.purge.interval", "1s", "999ms", () -> DedupRetention.builder().dataSource(h2)
                        .window(Duration.ofDays(1)).build().start(Duration.ofMillis(999))),
                bound("dedup.retry.max-attempts", "100", "101", () -> DedupListenerSettings.builder().maxAttempts(101)),
                bound("dedup.retry.multiplier", "100", "100.5", () -> DedupListenerSettings.builder()
                        .retryBackoff(Duration.ofSeconds(1), 100.5, Duration.ofSeconds(30))),
                bound("dedup.retry.initial-interval", "1ms", "0ms", () -> DedupListenerSettings.builder()
                        .retryBackoff(Duration.ZERO, 2.0, Duration.ofSeconds(30))),
                bound("dedup.retry.max-interval", "1h", "61m", () -> DedupListenerSettings.builder()
                        .retryBackoff(Duration.ofSeconds(1), 2.0, Duration.ofMinutes(61))),
                bound("dedup.consumer-name", "a.b_c-d:e", "a b", () -> Deduplicator.builder().consumerName("a b")),
                bound("dedup.key.expression", "headers['id']", "payload.(",
                        () -> DedupListenerSettings.builder().defaultKeyExpression("payload.(")));
    }

    private static Arguments bound(String property, String accepted, String refused, ThrowingCallable builder) {
        return Arguments.of(property, accepted, refused, builder);
    }

    @ParameterizedTest(name = "{0}: {1} accepted, {2} refused")
    @MethodSource("builderBounds")
    void theBoundIsTheBuildersAndBootHasNoneOfItsOwn(String property, String accepted, String refused,
            ThrowingCallable builder) {
        IllegalArgumentException builderRefusal = catchRefusal(builder);
        runner.withPropertyValues(property + "=" + accepted).run(context -> assertThat(context).hasNotFailed());
        runner.withPropertyValues(property + "=" + refused).run(context -> {
            assertThat(context).hasFailed();
            InvalidConfigurationPropertyValueException bootRefusal = find(context.getStartupFailure(),
                    InvalidConfigurationPropertyValueException.class);
            assertThat(bootRefusal.getName()).isEqualTo(property);
            assertThat(bootRefusal.getReason()).isEqualTo(reason(builderRefusal));
            if (builderRefusal instanceof InvalidSettingException named) {
                assertThat(bootRefusal.getValue()).isEqualTo(named.value());
            }
        });
    }

    @Test
    void theTableBoundIsTheBuilders() {
        IllegalArgumentException builderRefusal = catchRefusal(() -> DedupListenerSettings.builder().table("a.b.c"));
        runner.withPropertyValues("dedup.schema.migrate=false", "dedup.table=app.my_dedup")
                .run(context -> assertThat(context).hasNotFailed());
        runner.withPropertyValues("dedup.schema.migrate=false", "dedup.table=a.b.c").run(context -> {
            InvalidConfigurationPropertyValueException bootRefusal = find(context.getStartupFailure(),
                    InvalidConfigurationPropertyValueException.class);
            assertThat(bootRefusal.getName()).isEqualTo("dedup.table");
            assertThat(bootRefusal.getReason()).isEqualTo(reason(builderRefusal));
        });
    }

    @Test
    void everyBuilderSettingFedMapsToAProperty() {
        assertThatThrownBy(() -> DedupProperties.configure(() -> {
            throw new InvalidSettingException("notFedByAnyProperty", 1, "is made up");
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("notFedByAnyProperty");
    }

    private static IllegalArgumentException catchRefusal(ThrowingCallable builder) {
        try {
            builder.call();
        } catch (IllegalArgumentException e) {
            return e;
        } catch (Throwable e) {
            throw new AssertionError("the builder threw " + e + " instead of refusing the value", e);
        }
        throw new AssertionError("the builder accepted the value");
    }

    /** What Boot reports as the reason: a named setting's reason, or the message of a jdbc setter's refusal. */
    private static String reason(IllegalArgumentException refusal) {
        return refusal instanceof InvalidSettingException named ? named.reason() : refusal.getMessage();
    }

    /** The property a start-up failure names: Boot's binding failure or the refusal of a bound value. */
    private static String propertyNamedBy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InvalidConfigurationPropertyValueException invalid) {
                return invalid.getName();
            }
            if (t instanceof BindException unbound && unbound.getProperty() != null) {
                return unbound.getProperty().getName().toString();
            }
        }
        return fail("the start-up failure names no property", failure);
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return fail("no " + type.getSimpleName() + " in the start-up failure", failure);
    }

    /** Every {@code dedup.*} property, from the metadata Boot's configuration processor generated. */
    private static Set<String> properties() {
        try (InputStream metadata = DedupProperties.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(metadata).as("spring-configuration-metadata.json of the library").isNotNull();
            Set<String> names = new TreeSet<>();
            for (JsonNode property : new ObjectMapper().readTree(metadata).get("properties")) {
                if (DedupProperties.class.getName().equals(property.path("sourceType").asText().split("\\$")[0])) {
                    names.add(property.get("name").asText());
                }
            }
            return names;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The value of a property, read by its getters: {@code dedup.retry.max-attempts} is {@code getRetry().getMaxAttempts()}. */
    private static Object read(DedupProperties properties, String property) {
        String path = Arrays.stream(property.substring("dedup.".length()).split("\\."))
                .map(DedupPropertiesTests::camelCase).collect(Collectors.joining("."));
        return new BeanWrapperImpl(properties).getPropertyValue(path);
    }

    private static String camelCase(String kebab) {
        List<String> words = new ArrayList<>(List.of(kebab.split("-")));
        Function<String, String> capitalized = word -> Character.toUpperCase(word.charAt(0)) + word.substring(1);
        return words.get(0) + words.stream().skip(1).map(capitalized).collect(Collectors.joining());
    }
}
