package io.dedupconsumer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The side effects the tests' handlers write: rows of a table {@code effect} with an {@code event_key} column and no
 * unique index, so that an effect applied twice shows as a count of 2.
 */
public final class Effects {

    private Effects() {
    }

    /** How many effect rows each event key has. */
    public static Map<String, Integer> perKey(DataSource dataSource) throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT event_key, COUNT(*) FROM effect GROUP BY event_key")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getInt(2));
            }
        }
        return counts;
    }
}
