package io.dedupconsumer.lab;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.JedisPooled;

/**
 * Everything one lab run owns, so that runs of several people on one machine never meet: a database
 * {@code lab_<random>} created on open and dropped on close, a connection pool into it, and a Redis key prefix
 * purged on close.
 */
final class LabSession implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LabSession.class);

    private final Endpoints endpoints;
    private final String database;
    private final int maxConcurrency;
    private final HikariDataSource dataSource;
    private final JedisPooled redis;
    private final RedisNamespace namespace;
    private final StrategyCatalog catalog;
    private final AtomicInteger trials = new AtomicInteger();

    private LabSession(Endpoints endpoints, String database, int maxConcurrency) {
        this.endpoints = endpoints;
        this.database = database;
        this.maxConcurrency = maxConcurrency;
        this.dataSource = new HikariDataSource(poolConfig(endpoints, database, maxConcurrency));
        ConnectionPoolConfig redisPool = new ConnectionPoolConfig();
        redisPool.setMaxTotal(maxConcurrency + 2);
        this.redis = new JedisPooled(redisPool, endpoints.redisHost(), endpoints.redisPort());
        this.namespace = new RedisNamespace("dedup-lab:" + database + ":");
        this.catalog = new StrategyCatalog(redis, namespace);
    }

    /**
     * Creates the session's database and opens pools sized for {@code maxConcurrency} simultaneous deliveries.
     *
     * @throws SQLException if the database server cannot be reached or refuses to create a database
     */
    static LabSession open(Endpoints endpoints, int maxConcurrency) throws SQLException {
        String database = "lab_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        execute(endpoints, "CREATE DATABASE " + database + " CHARACTER SET utf8mb4");
        LabSession session = null;
        try {
            session = new LabSession(endpoints, database, maxConcurrency);
            session.redis.ping();
            log.info("lab database {} created on {}", database, endpoints.jdbcUrl());
            return session;
        } catch (RuntimeException e) {
            if (session != null) {
                session.close();
            } else {
                execute(endpoints, "DROP DATABASE IF EXISTS " + database);
            }
            throw e;
        }
    }

    String database() {
        return database;
    }

    /** The server versions the results were measured on, as the result header prints them. */
    String servers() throws SQLException {
        String database;
        try (Connection c = dataSource.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT VERSION()")) {
            rs.next();
            database = "database server " + rs.getString(1);
        }
        String redisVersion = redis.info("server").lines()
                .filter(line -> line.startsWith("redis_version:"))
                .map(line -> line.substring("redis_version:".length()).strip())
                .findFirst()
                .orElse("unknown");
        return database + ", Redis " + redisVersion;
    }

    /** Runs the named strategy from the catalogue. */
    TrialResult run(String strategy, Plan plan) throws SQLException {
        return run(catalog.create(strategy, plan.window()), plan);
    }

    /** Runs any strategy, on fresh tables and with event ids no earlier trial of this session used. */
    TrialResult run(Strategy strategy, Plan plan) throws SQLException {
        if (plan.concurrency() > maxConcurrency) {
            throw new IllegalArgumentException("concurrency " + plan.concurrency()
                    + " exceeds the session's pools, opened for " + maxConcurrency);
        }
        return new Trial(dataSource, plan).run(strategy, "t" + trials.incrementAndGet());
    }

    @Override
    public void close() throws SQLException {
        try {
            dataSource.close();
            try {
                namespace.purge(redis);
            } finally {
                redis.close();
            }
        } finally {
            execute(endpoints, "DROP DATABASE IF EXISTS " + database);
            log.info("lab database {} dropped", database);
        }
    }

    private static HikariConfig poolConfig(Endpoints endpoints, String database, int maxConcurrency) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("strategy-lab");
        config.setJdbcUrl(endpoints.jdbcUrl());
        config.setUsername(endpoints.user());
        config.setPassword(endpoints.password());
        config.setCatalog(database);
        // One connection per delivery, plus the observer that reads the results.
        config.setMaximumPoolSize(maxConcurrency + 1);
        config.setMinimumIdle(maxConcurrency + 1);
        // InnoDB's default, stated because the strategies' behaviour depends on it.
        config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        config.setConnectionInitSql("SET SESSION innodb_lock_wait_timeout = 20");
        return config;
    }

    private static void execute(Endpoints endpoints, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(endpoints.jdbcUrl(), endpoints.user(), endpoints.password());
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
