package io.dedupconsumer.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line, end to end against the real servers. */
class LabCommandTests {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void printsOneRowPerStrategyAndRaceWindowAndDropsItsDatabase() throws SQLException {
        int exit = run("--concurrency", "4", "--rounds", "2",
                "--strategies", "unique-index,select-then-insert", "--race-window-ms", "0,1");

        assertThat(exit).isZero();
        assertThat(out.toString())
                .contains("| strategy", "| verdict")
                .containsPattern("\\| unique-index +\\| 0 ms +\\| 8 \\(4x2\\)")
                .containsPattern("\\| unique-index +\\| 1 ms ")
                .containsPattern("\\| select-then-insert +\\| 0 ms ")
                .containsPattern("\\| select-then-insert +\\| 1 ms ");
        assertThat(out.toString().lines().filter(line -> line.startsWith("| ")))
                .as("header, rule and four result rows").hasSize(6);
        Matcher database = Pattern.compile("lab database (lab_[0-9a-f]{8})").matcher(out.toString());
        assertThat(database.find()).isTrue();
        assertThat(databaseExists(database.group(1))).isFalse();
    }

    @Test
    void rejectsAnUnknownStrategyAndNamesTheKnownOnes() {
        int exit = run("--strategies", "unique-index,double-click-prayer");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("unknown strategy 'double-click-prayer'", "state-machine");
    }

    @Test
    void rejectsConcurrencyThatCannotRace() {
        int exit = run("--concurrency", "1");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("concurrency must be at least 2 to race, was 1");
    }

    private int run(String... args) {
        return new CommandLine(new Lab())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    private static boolean databaseExists(String name) throws SQLException {
        Endpoints local = Endpoints.LOCAL;
        try (Connection c = DriverManager.getConnection(local.jdbcUrl(), local.user(), local.password());
             PreparedStatement ps = c.prepareStatement(
                     "SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
