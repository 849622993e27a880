package io.dedupconsumer.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchmarkCommandTests {

    private static Settings parse(String... args) {
        var line = BenchmarkCommand.commandLine();
        line.parseArgs(args);
        return ((BenchmarkCommand) line.getCommand()).settings();
    }

    @Test
    void mariadbUrlParametersAreAddedToEveryMariadbPoolAfterTheScenariosOwn() {
        Settings settings = parse("--mariadb-url-parameters", "cachePrepStmts=true&prepStmtCacheSqlLimit=16384");
        assertThat(settings.urlParameters(Scenario.DEDUP_BATCH, Database.MARIADB))
                .isEqualTo("cachePrepStmts=true&prepStmtCacheSqlLimit=16384");
        assertThat(settings.urlParameters(Scenario.DEDUP_BATCH_JDBC, Database.MARIADB))
                .isEqualTo("rewriteBatchedStatements=true&cachePrepStmts=true&prepStmtCacheSqlLimit=16384");
        assertThat(settings.urlParameters(Scenario.DEDUP_BATCH, Database.POSTGRESQL)).isEmpty();
    }

    @Test
    void withoutMariadbUrlParametersPoolsUseTheDriversDefaults() {
        Settings settings = parse();
        assertThat(settings.urlParameters(Scenario.UNSAFE_BATCH, Database.MARIADB)).isEmpty();
        assertThat(settings.urlParameters(Scenario.UNSAFE_BATCH_JDBC_REWRITE, Database.MARIADB))
                .isEqualTo("rewriteBatchedStatements=true");
    }

    @Test
    void mariadbUrlParametersThatAreNotNameValuePairsAreRefusedNamingTheOption() {
        for (String bad : new String[] {"cachePrepStmts", "a=b&", "a=b;c=d", "user=root&password=x y"}) {
            assertThatThrownBy(() -> parse("--mariadb-url-parameters", bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--mariadb-url-parameters:");
        }
    }
}
