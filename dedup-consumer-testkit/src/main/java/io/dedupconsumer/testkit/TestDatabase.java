package io.dedupconsumer.testkit;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real database server (MariaDB, PostgreSQL) or H2 that hands out fresh, uniquely named databases.
 *
 * <p>Deduplication is only as good as the database's unique index and transactions, so tests must
 * run against the real engines. Several test JVMs (modules, developers, CI) share one server, so
 * every {@link #create(String)} makes a database nobody else sees: MariaDB gets a new
 * {@code CREATE DATABASE}, PostgreSQL a new schema in database {@code test} (selected through
 * {@code currentSchema} on the JDBC URL), H2 a new in-memory database. Databases created by this JVM
 * are dropped, best effort, when it exits.
 *
 * <p>Pools are small and time out within seconds, so a test that cuts the database (see
 * {@link TcpProxy} and {@link #create(String, int)}) fails fast instead of hanging. Servers default to
 * the local ones on 127.0.0.1 and can be redirected with the environment variables
 * {@code DEDUP_TEST_MYSQL_URL}/{@code _USER}/{@code _PASSWORD} and
 * {@code DEDUP_TEST_PG_URL}/{@code _USER}/{@code _PASSWORD}.
 *
 * <p>The MariaDB server is reached through either MySQL driver users run: {@link #mariadb()} through MySQL
 * Connector/J ({@code jdbc:mysql:}), {@link #mariadbDriver()} through MariaDB Connector/J ({@code jdbc:mariadb:}).
 * They differ in what they log and report, so tests of the dedup table run with both.
 */
public final class TestDatabase {

    private static final Logger log = LoggerFactory.getLogger(TestDatabase.class);

    private static final Pattern SERVER_URL = Pattern.compile(
            "^jdbc:(mysql|mariadb|postgresql)://([^/:?]+)(?::(\\d+))?(?:/([^?]*))?(?:\\?(.*))?$");

    private static final int MAX_POOL_SIZE = 8;

    private static final long CONNECTION_TIMEOUT_MILLIS = 2_000;

    private static final long VALIDATION_TIMEOUT_MILLIS = 1_000;

    /** Socket read timeout: a connection whose peer vanished without a reset errors out after this. */
    private static final int SOCKET_TIMEOUT_SECONDS = 10;

    private static final int MAX_PREFIX_LENGTH = 40;

    private static final SecureRandom RANDOM = new SecureRandom();

    private static final TestDatabase MARIADB = fromEnv(Kind.MARIADB, "DEDUP_TEST_MYSQL",
            "jdbc:mysql://127.0.0.1:3306/", "root", "");

    private static final TestDatabase MARIADB_DRIVER = MARIADB.through(Driver.MARIADB_CONNECTOR_J);

    private static final TestDatabase POSTGRESQL = fromEnv(Kind.POSTGRESQL, "DEDUP_TEST_PG",
            "jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");

    private static final TestDatabase H2 = new TestDatabase(Kind.H2, Driver.MYSQL_CONNECTOR_J, null, -1, "", "",
            "sa", "");

    private final Kind kind;

    /** MariaDB: the driver that connects; unused otherwise. */
    private final Driver driver;

    private final String host;

    private final int port;

    /** MariaDB: unused (each fresh database is the URL path); PostgreSQL: the database holding the schemas. */
    private final String database;

    /** Extra URL parameters from the environment, appended after the defaults so they win. */
    private final String extraParams;

    private final String user;

    private final String password;

    private final Set<String> created = ConcurrentHashMap.newKeySet();

    private final Object cleanupLock = new Object();

    private boolean cleanupRegistered;

    private enum Kind {
        MARIADB("mariadb", 3306), POSTGRESQL("postgresql", 5432), H2("h2", -1);

        final String displayName;

        final int defaultPort;

        Kind(String displayName, int defaultPort) {
            this.displayName = displayName;
            this.defaultPort = defaultPort;
        }
    }

    /** The two drivers of the MySQL protocol, with their URL scheme and their spelling of "no TLS". */
    private enum Driver {
        MYSQL_CONNECTOR_J("jdbc:mysql://", "DISABLED", ""),
        MARIADB_CONNECTOR_J("jdbc:mariadb://", "disable", "-mariadb-java-client");

        final String scheme;

        final String sslModeDisabled;

        final String nameSuffix;

        Driver(String scheme, String sslModeDisabled, String nameSuffix) {
            this.scheme = scheme;
            this.sslModeDisabled = sslModeDisabled;
            this.nameSuffix = nameSuffix;
        }
    }

    private TestDatabase(Kind kind, Driver driver, String host, int port, String database, String extraParams,
            String user, String password) {
        this.kind = kind;
        this.driver = driver;
        this.host = host;
        this.port = port;
        this.database = database;
        this.extraParams = extraParams;
        this.user = user;
        this.password = password;
    }

    private static TestDatabase fromEnv(Kind kind, String envPrefix, String defaultUrl, String defaultUser,
            String defaultPassword) {
        String url = env(envPrefix + "_URL", defaultUrl);
        Matcher m = SERVER_URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException(envPrefix + "_URL must look like " + defaultUrl + ", was " + url);
        }
        int port = m.group(3) == null ? kind.defaultPort : Integer.parseInt(m.group(3));
        String database = m.group(4) == null ? "" : m.group(4);
        if (kind == Kind.POSTGRESQL && database.isEmpty()) {
            database = "test";
        }
        String params = m.group(5) == null ? "" : m.group(5);
        return new TestDatabase(kind, Driver.MYSQL_CONNECTOR_J, m.group(2), port, database, params,
                env(envPrefix + "_USER", defaultUser), env(envPrefix + "_PASSWORD", defaultPassword));
    }

    /** The same server and login, reached through another driver. */
    private TestDatabase through(Driver other) {
        return new TestDatabase(this.kind, other, this.host, this.port, this.database, this.extraParams, this.user,
                this.password);
    }

    private static String env(String name, String defaultValue) {
        String value = System.getenv(name);
        return value == null ? defaultValue : value;
    }

    /**
     * Returns the MariaDB (MySQL protocol, MySQL Connector/J) server, by default root with an empty
     * password on 127.0.0.1:3306.
     *
     * @return the MariaDB server
     */
    public static TestDatabase mariadb() {
        return MARIADB;
    }

    /**
     * Returns the same MariaDB server as {@link #mariadb()}, reached through MariaDB Connector/J
     * ({@code org.mariadb.jdbc}, {@code jdbc:mariadb:} URLs), which reports the product "MariaDB" and logs
     * every error the server sends.
     *
     * @return the MariaDB server through MariaDB Connector/J
     */
    public static TestDatabase mariadbDriver() {
        return MARIADB_DRIVER;
    }

    /**
     * Returns the PostgreSQL server, by default user postgres on 127.0.0.1:5432, database {@code test}.
     *
     * @return the PostgreSQL server
     */
    public static TestDatabase postgresql() {
        return POSTGRESQL;
    }

    /**
     * Returns in-memory H2, for fast tests that need no server. Its databases live only in this JVM.
     *
     * @return H2
     */
    public static TestDatabase h2() {
        return H2;
    }

    /**
     * Returns the engine's name: {@code mariadb}, {@code postgresql} or {@code h2}, and for
     * {@link #mariadbDriver()} {@code mariadb-mariadb-java-client}.
     *
     * @return the name, also used by {@link #toString()} so parameterized tests read well
     */
    public String name() {
        return this.kind == Kind.MARIADB ? this.kind.displayName + this.driver.nameSuffix : this.kind.displayName;
    }

    /**
     * Returns the server host, for {@link TcpProxy#start(String, int)}.
     *
     * @return the host
     * @throws UnsupportedOperationException for H2, which has no server
     */
    public String host() {
        requireServer();
        return this.host;
    }

    /**
     * Returns the server port, for {@link TcpProxy#start(String, int)}.
     *
     * @return the port
     * @throws UnsupportedOperationException for H2, which has no server
     */
    public int port() {
        requireServer();
        return this.port;
    }

    /**
     * Returns the user every connection logs in as.
     *
     * @return the user
     */
    public String user() {
        return this.user;
    }

    /**
     * Returns the password every connection logs in with.
     *
     * @return the password, possibly empty
     */
    public String password() {
        return this.password;
    }

    /**
     * Creates a fresh, empty, uniquely named database (a schema on PostgreSQL).
     *
     * @param namePrefix a readable prefix (lower-cased, reduced to letters, digits and underscores)
     * @return the database's name, for {@link #dataSource(String)} and {@link #jdbcUrl(String)}
     */
    public String createDatabase(String namePrefix) {
        String name = uniqueName(namePrefix);
        switch (this.kind) {
            case MARIADB -> execute(adminUrl(), "CREATE DATABASE `" + name + "`");
            case POSTGRESQL -> execute(adminUrl(), "CREATE SCHEMA \"" + name + "\"");
            case H2 -> {
                // an in-memory H2 database comes into existence with its first connection
            }
        }
        if (this.kind != Kind.H2) {
            this.created.add(name);
            registerCleanup();
        }
        log.debug("Created {} database {}", name(), name);
        return name;
    }

    /**
     * Creates a fresh database and returns a pool connected to it.
     *
     * @param namePrefix a readable prefix for the database name
     * @return a started pool (max {@value #MAX_POOL_SIZE} connections); close it when done
     */
    public HikariDataSource create(String namePrefix) {
        return dataSource(createDatabase(namePrefix));
    }

    /**
     * Creates a fresh database and returns a pool that reaches it through {@code 127.0.0.1:proxyPort}
     * (a {@link TcpProxy} started on {@link #host()}:{@link #port()}) instead of the server's port.
     *
     * @param namePrefix a readable prefix for the database name
     * @param proxyPort the port of the proxy on 127.0.0.1
     * @return a started pool; close it when done
     */
    public HikariDataSource create(String namePrefix, int proxyPort) {
        return dataSource(createDatabase(namePrefix), proxyPort);
    }

    /**
     * Returns a new pool connected directly to a database made by {@link #createDatabase(String)}.
     *
     * @param databaseName the database name
     * @return a started pool; close it when done
     */
    public HikariDataSource dataSource(String databaseName) {
        return pool(databaseName, jdbcUrl(databaseName));
    }

    /**
     * Returns a new pool connected to a database made by {@link #createDatabase(String)} through
     * {@code 127.0.0.1:proxyPort}.
     *
     * @param databaseName the database name
     * @param proxyPort the port of the proxy on 127.0.0.1
     * @return a started pool; close it when done
     */
    public HikariDataSource dataSource(String databaseName, int proxyPort) {
        return pool(databaseName + "@" + proxyPort, jdbcUrl(databaseName, proxyPort));
    }

    /**
     * Returns the JDBC URL of a database made by {@link #createDatabase(String)}, for example to hand
     * to a {@link ChildJvm}.
     *
     * @param databaseName the database name
     * @return the JDBC URL, with timeouts set
     */
    public String jdbcUrl(String databaseName) {
        return this.kind == Kind.H2 ? "jdbc:h2:mem:" + databaseName + ";DB_CLOSE_DELAY=-1"
                : jdbcUrl(databaseName, this.host, this.port);
    }

    /**
     * Returns the JDBC URL of a database made by {@link #createDatabase(String)} as reached through a
     * proxy on {@code 127.0.0.1:proxyPort}.
     *
     * @param databaseName the database name
     * @param proxyPort the port of the proxy on 127.0.0.1
     * @return the JDBC URL, with timeouts set
     */
    public String jdbcUrl(String databaseName, int proxyPort) {
        requireServer();
        return jdbcUrl(databaseName, "127.0.0.1", proxyPort);
    }

    private String jdbcUrl(String databaseName, String urlHost, int urlPort) {
        return switch (this.kind) {
            case MARIADB -> serverUrl(urlHost, urlPort, databaseName, "");
            case POSTGRESQL -> serverUrl(urlHost, urlPort, this.database, "currentSchema=" + databaseName + "&");
            case H2 -> throw new UnsupportedOperationException("H2 has no server");
        };
    }

    /** The server itself (no particular database), for creating and dropping databases. */
    private String adminUrl() {
        requireServer();
        return serverUrl(this.host, this.port, this.kind == Kind.POSTGRESQL ? this.database : "", "");
    }

    /**
     * Timeouts so a vanished server errors within seconds; no TLS on the loopback. Parameters from
     * the environment come last, so they win.
     */
    private String serverUrl(String urlHost, int urlPort, String path, String leadingParams) {
        String timeouts = this.kind == Kind.MARIADB
                ? "connectTimeout=" + CONNECTION_TIMEOUT_MILLIS + "&socketTimeout=" + SOCKET_TIMEOUT_SECONDS * 1000
                        + "&sslMode=" + this.driver.sslModeDisabled
                : "connectTimeout=" + CONNECTION_TIMEOUT_MILLIS / 1000 + "&socketTimeout=" + SOCKET_TIMEOUT_SECONDS
                        + "&sslmode=disable";
        String scheme = this.kind == Kind.MARIADB ? this.driver.scheme : "jdbc:postgresql://";
        return scheme + urlHost + ":" + urlPort + "/" + path + "?" + leadingParams + timeouts
                + (this.extraParams.isEmpty() ? "" : "&" + this.extraParams);
    }

    private HikariDataSource pool(String poolName, String url) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("testkit-" + name() + "-" + poolName);
        config.setJdbcUrl(url);
        config.setUsername(this.user);
        config.setPassword(this.password);
        config.setMaximumPoolSize(MAX_POOL_SIZE);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        config.setValidationTimeout(VALIDATION_TIMEOUT_MILLIS);
        return new HikariDataSource(config);
    }

    private void execute(String url, String... sqls) {
        Properties props = new Properties();
        props.setProperty("user", this.user);
        props.setProperty("password", this.password);
        try (Connection connection = DriverManager.getConnection(url, props);
                Statement statement = connection.createStatement()) {
            for (String sql : sqls) {
                statement.execute(sql);
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException(name() + " at " + this.host + ":" + this.port + " refused "
                    + String.join("; ", sqls) + " (is the server running? .ci/run starts it): " + ex.getMessage(),
                    ex);
        }
    }

    private void registerCleanup() {
        synchronized (this.cleanupLock) {
            if (!this.cleanupRegistered) {
                this.cleanupRegistered = true;
                Runtime.getRuntime().addShutdownHook(new Thread(this::dropCreated, "testkit-" + name() + "-cleanup"));
            }
        }
    }

    /** Best effort: a database still locked by a live connection is left behind rather than waited for. */
    private void dropCreated() {
        for (String name : this.created) {
            try {
                switch (this.kind) {
                    case MARIADB -> execute(adminUrl(), "SET SESSION lock_wait_timeout = 5",
                            "DROP DATABASE IF EXISTS `" + name + "`");
                    case POSTGRESQL -> execute(adminUrl(), "SET lock_timeout = '5s'",
                            "DROP SCHEMA IF EXISTS \"" + name + "\" CASCADE");
                    case H2 -> {
                        // nothing to drop
                    }
                }
            }
            catch (RuntimeException ex) {
                log.warn("Could not drop {} database {}: {}", name(), name, ex.getMessage());
            }
        }
    }

    private static String uniqueName(String prefix) {
        String clean = prefix == null ? "" : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) {
            clean = "db_" + clean;
        }
        if (clean.length() > MAX_PREFIX_LENGTH) {
            clean = clean.substring(0, MAX_PREFIX_LENGTH);
        }
        byte[] suffix = new byte[5];
        RANDOM.nextBytes(suffix);
        return clean + "_" + HexFormat.of().formatHex(suffix);
    }

    private void requireServer() {
        if (this.kind == Kind.H2) {
            throw new UnsupportedOperationException("H2 runs in-process and has no server to reach or proxy");
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
