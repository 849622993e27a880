package io.dedupconsumer.audit;

import io.dedupconsumer.jdbc.DedupTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The database side of the commands that read the dedup table, a picocli mixin next to {@link KafkaSettings}, named
 * as the library names them: the consumer name, where the dedup key comes from, which table in which database.
 *
 * <p>The database password comes from an environment variable or a file, never an argument (arguments show in
 * {@code ps}, shell history and logs). The table name is the one identifier put into SQL text, so it is checked with
 * {@link DedupTable#validName} before anything runs.
 */
final class ConsumerSettings {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

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

    @Option(names = "--jdbc-user", paramLabel = "USER",
            description = "The database user; read access to the table is enough, but for purge --yes (DELETE).")
    private @Nullable String jdbcUser;

    @Option(names = "--jdbc-password-env", paramLabel = "VARIABLE",
            description = "The environment variable holding the database password.")
    private @Nullable String passwordEnv;

    @Option(names = "--jdbc-password-file", paramLabel = "FILE",
            description = "A file holding the database password (its first line).")
    private @Nullable Path passwordFile;

    /** The dedup consumer name: {@code --consumer-name}, or the group, as the library defaults it. */
    String consumerName(String group) {
        return consumerName != null ? consumerName : group;
    }

    KeyOption key() {
        return key;
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
    }

    /** A read-only connection to the consumer's database. */
    Connection connect() throws SQLException {
        Connection connection = connectWritable();
        connection.setReadOnly(true);
        return connection;
    }

    /**
     * The consumer's database for {@code purge}, the one command that writes: each {@link DataSource#getConnection()}
     * opens a connection of its own, which the library's retention borrows for one batch and closes.
     */
    DataSource writableDataSource() {
        return new DriverDataSource();
    }

    private Connection connectWritable() throws SQLException {
        Properties login = new Properties();
        if (jdbcUser != null) {
            login.setProperty("user", jdbcUser);
        }
        String password = password();
        if (password != null) {
            login.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl, login);
    }

    /** {@link DriverManager} behind the {@link DataSource} the library's retention takes; no pool, nothing else. */
    private final class DriverDataSource implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return connectWritable();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("the login comes from --jdbc-user and the password options");
        }

        @Override
        public @Nullable PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(@Nullable PrintWriter out) {
            // the drivers log through their own loggers
        }

        @Override
        public void setLoginTimeout(int seconds) {
            DriverManager.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() {
            return DriverManager.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException("no java.util.logging");
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
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

    /** The settings of both mixins as a report prints them: never a secret. */
    Map<String, Object> describe(KafkaSettings kafka) {
        Map<String, Object> d = kafka.describe();
        d.put("consumerName", consumerName(kafka.group()));
        d.put("key", key.spec());
        d.put("table", table);
        return d;
    }
}
