package io.dedupconsumer.core;

import org.jspecify.annotations.Nullable;

/**
 * A builder refused a setting's value: {@link #setting()} names the builder's setting as its setter calls it
 * ({@code batchSize}, {@code window}, {@code multiplier}), {@link #value()} is the value refused and {@link #reason()}
 * what a valid value is.
 *
 * <p>Why a type of its own: each setting is validated in exactly one place, the builder that consumes it, and
 * integrations that configure a builder from their own names (Spring Boot's {@code dedup.*} properties) report a
 * refusal under their name for it. They map {@link #setting()} to their property, instead of repeating the bound or
 * parsing the message. The message is {@code "<setting>: <reason>"}, as before this type existed.
 *
 * <p>The builders of the core, the kafka-clients runner, the Redis guard and the Spring integration throw it. The
 * {@code jdbc} package's operator tools ({@code DedupTable}, {@code DedupRetention}) depend on nothing else of the
 * library and refuse with a plain {@link IllegalArgumentException} whose message starts the same way.
 */
public final class InvalidSettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String setting;
    private final transient @Nullable Object value;
    private final String reason;

    /**
     * @param setting the builder's name for the setting, e.g. {@code batchSize}
     * @param value the value refused, or {@code null} when none was given
     * @param reason what is wrong and what a valid value is, e.g. {@code "0 is out of range; use 1 to 10000"}
     */
    public InvalidSettingException(String setting, @Nullable Object value, String reason) {
        super(setting + ": " + reason);
        this.setting = setting;
        this.value = value;
        this.reason = reason;
    }

    /** The builder's name for the setting, as its setter calls it. */
    public String setting() {
        return setting;
    }

    /** The value refused, or {@code null} when none was given (or after deserialization). */
    public @Nullable Object value() {
        return value;
    }

    /** What is wrong with the value and what a valid one is, without the setting's name. */
    public String reason() {
        return reason;
    }
}
