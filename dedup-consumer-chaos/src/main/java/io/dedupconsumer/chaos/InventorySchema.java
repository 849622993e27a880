package io.dedupconsumer.chaos;

import io.dedupconsumer.jdbc.DedupSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The inventory service's tables, created before any consumer starts: its own Flyway migrations (the same files and
 * history table Spring Boot's Flyway uses, so the service later finds them applied) and the library's dedup table.
 * Then the stock a run starts from.
 */
final class InventorySchema {

    private InventorySchema() {
    }

    /** Spring Boot's {@code {vendor}} for the URL: {@code mysql} (MySQL and MariaDB), {@code postgresql} or {@code h2}. */
    static String vendor(String jdbcUrl) {
        String url = jdbcUrl.toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:mysql:") || url.startsWith("jdbc:mariadb:")) {
            return "mysql";
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return "postgresql";
        }
        if (url.startsWith("jdbc:h2:")) {
            return "h2";
        }
        throw new IllegalArgumentException("unsupported JDBC URL " + jdbcUrl + "; use jdbc:mysql:, jdbc:postgresql: or jdbc:h2:");
    }

    /** Applies the service's migrations and the dedup table's; both are no-ops when already applied. */
    static void migrate(DataSource dataSource, String jdbcUrl) {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration/" + vendor(jdbcUrl)).load().migrate();
        DedupSchema.migrate(dataSource);
    }

    /** Inserts the SKUs with their units; a SKU already there is an error (a run starts from known stock). */
    static void seed(DataSource dataSource, Map<String, Integer> stock) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO stock (sku, available) VALUES (?, ?)")) {
            for (Map.Entry<String, Integer> sku : stock.entrySet()) {
                insert.setString(1, sku.getKey());
                insert.setInt(2, sku.getValue());
                insert.addBatch();
            }
            insert.executeBatch();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot seed the stock table: " + e.getMessage(), e);
        }
    }
}
